import type { Knex } from 'knex';
import { readReactionStateAsSystem, reactionsOfAsSystem } from '../../community/message-reactions.js';
import { ForbiddenError } from '../../errors/index.js';
import type { WriteLimits } from '../../limits/write-limits.js';
import { loadVisibleMessage } from '../../rules/visibility.js';
import type { SocketIdentity } from '../auth.js';
import { MessageReaction } from '../events.js';
import type { MessageReactions } from '../types.js';
import type { Handlers } from './handler.js';

export interface ReactionDeps {
	knex: Knex;
	limits: Pick<WriteLimits, 'consume'>;
	/** Adds or removes the member's reaction (community/message-reactions.ts: the rules and the broadcast run there). */
	set(identity: SocketIdentity, input: MessageReaction, present: boolean): Promise<void>;
}

export function reactionHandlers(deps: ReactionDeps): Pick<Handlers, 'reaction:add' | 'reaction:remove'> {
	const handle = async (identity: SocketIdentity, payload: unknown, present: boolean): Promise<MessageReactions> => {
		const { userId, accountability } = identity;
		// Every request spends the reaction budget, as on REST: the idempotent ones read as much as the others.
		if (accountability.admin !== true) await deps.limits.consume('reaction', userId);
		const input = MessageReaction.parse(payload);
		// A message the member cannot see answers like a missing one, before the idempotent shortcuts.
		await loadVisibleMessage(deps.knex, input.message, userId, accountability.admin === true);
		await deps.set(identity, input, present);
		const state = await readReactionStateAsSystem(deps.knex, input.message);
		if (!state) throw new ForbiddenError();
		const mine = (await reactionsOfAsSystem(deps.knex, [input.message], userId)).get(input.message)?.mine ?? [];
		return { group: state.group, message: state.message, change_seq: state.change_seq, reactions: state.reactions, my_reactions: mine };
	};
	return {
		'reaction:add': (socket, payload) => handle(socket.data.identity, payload, true),
		'reaction:remove': (socket, payload) => handle(socket.data.identity, payload, false),
	};
}
