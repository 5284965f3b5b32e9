import { z } from 'zod';
import { ALLOWED_REACTIONS, isAllowedReaction } from '../domain/limits.js';
import { ForbiddenError, InvalidPayloadError, InvalidStateError, NotOwnerError } from '../errors/index.js';
import { personWriting, storedKeys } from './caller.js';
import { nowIso } from './clock.js';
import { assertCanWrite } from './facts.js';
import { assertChatOpen } from './message-send.js';
import { parseInput, parseId, withoutSelfReference } from './parse-input.js';
import type { RuleContext } from './post-rules.js';
import { Id } from './schemas.js';
import { loadVisibleMessage } from './visibility.js';

/**
 * Reactions on chat messages through Directus's items (REST, GraphQL, the socket's `reaction:add`): the allowed
 * set of posts; a member who may write in the message's group, while its chat is open, reacts to a message they
 * see that is neither deleted nor hidden; everyone removes only their own reactions (a retraction is allowed
 * after the chat closed). The change cursor's triggers number each added or removed reaction as a change of its
 * message (setup/change-cursor.ts).
 */

const MessageReactionInput = z.object({ message: Id, emoji: z.unknown() }).strict();

const allowedEmoji = (emoji: unknown): string => {
	if (typeof emoji !== 'string' || !isAllowedReaction(emoji))
		throw new InvalidPayloadError({ reason: `emoji: one of ${ALLOWED_REACTIONS.join(' ')}` });
	return emoji;
};

export async function handleMessageReactionCreate(
	payload: Record<string, unknown>,
	{ database: trx, accountability }: RuleContext,
): Promise<Record<string, unknown>> {
	const userId = personWriting(accountability);
	if (userId === null) {
		// Admins and the system may react for anyone; an admin who names nobody reacts themself.
		const user = payload['user'] ?? accountability?.user ?? null;
		return { ...payload, user, message: parseId(payload['message'], 'message'), emoji: allowedEmoji(payload['emoji']) };
	}
	const input = parseInput(MessageReactionInput, withoutSelfReference(payload, 'user', userId));
	const emoji = allowedEmoji(input.emoji);
	const { row: message, context } = await loadVisibleMessage(trx, input.message, userId, false);
	// A reaction is a chat write: the group must take chat (on, not locked, not archived), as for a send.
	assertCanWrite(context);
	assertChatOpen(context, new Date());
	if (message.deleted_at || message.hidden_at) throw new InvalidStateError({ reason: 'Deleted and hidden messages take no reactions.' });
	return { message: input.message, user: userId, emoji, date_created: nowIso() };
}

/** The reactions these keys are (with their messages), after checking that the caller may remove them all. */
export async function handleMessageReactionDelete(
	keys: Array<string | number>,
	{ database: knex, accountability }: RuleContext,
): Promise<Array<{ id: number; message: number }>> {
	const userId = personWriting(accountability);
	const ids = storedKeys(keys);
	const rows: Array<{ id: number; message: number; user: string }> = await knex('community_message_reactions')
		.select('id', 'message', 'user')
		.whereIn('id', ids);
	if (userId !== null) {
		if (rows.length !== new Set(ids).size) throw new ForbiddenError();
		for (const row of rows) {
			await loadVisibleMessage(knex, Number(row.message), userId, false);
			if (row.user !== userId) throw new NotOwnerError();
		}
	}
	return rows.map((row) => ({ id: Number(row.id), message: Number(row.message) }));
}
