import type { Accountability, SchemaOverview } from '@directus/types';
import type { Knex } from 'knex';
import { isUniqueViolation } from '../errors/database.js';
import { prepaidAccountability } from '../limits/write-limits.js';
import type { CommunityBus } from '../realtime/bus.js';
import type { CommunityContext } from './context.js';

/** A message's reactions as one statement reads them: the counts belong to exactly that `change_seq`. */
export interface ReactionState {
	group: number;
	message: number;
	change_seq: number;
	reactions: Record<string, number>;
	/** Deleted or hidden: its reactions are not shown (a tombstone carries none). */
	concealed: boolean;
}

/**
 * Counted in the database, in the statement that reads the message's change number: whatever reactions
 * commit around it, the pair is exact, and a client keeps the state with the highest `change_seq`.
 */
export async function readReactionStateAsSystem(knex: Knex, messageId: number): Promise<ReactionState | null> {
	const rows: Array<Record<string, any>> = await knex('community_messages as m')
		.leftJoin('community_message_reactions as r', 'r.message', 'm.id')
		.where('m.id', messageId)
		.groupBy('m.id', 'm.group', 'm.change_seq', 'm.deleted_at', 'm.hidden_at', 'r.emoji')
		.select('m.group', 'm.change_seq', 'm.deleted_at', 'm.hidden_at', 'r.emoji')
		.count({ count: 'r.id' });
	const first = rows[0];
	if (!first) return null;
	const concealed = Boolean(first['deleted_at'] || first['hidden_at']);
	const reactions = concealed ? {} : Object.fromEntries(rows.filter((r) => r['emoji']).map((r) => [r['emoji'], Number(r['count'])]));
	return { group: Number(first['group']), message: messageId, change_seq: Number(first['change_seq']), reactions, concealed };
}

/** Reactions of several messages for one reader: emoji → count, and the reader's own emoji. */
export async function reactionsOfAsSystem(
	knex: Knex,
	messageIds: number[],
	userId: string,
): Promise<Map<number, { reactions: Record<string, number>; mine: string[] }>> {
	const out = new Map<number, { reactions: Record<string, number>; mine: string[] }>();
	if (messageIds.length === 0) return out;
	const rows: Array<Record<string, any>> = await knex('community_message_reactions')
		.whereIn('message', messageIds)
		.groupBy('message', 'emoji')
		.select('message', 'emoji')
		.count({ count: '*' })
		.select(knex.raw('SUM(CASE WHEN ?? = ? THEN 1 ELSE 0 END) AS mine', ['user', userId]));
	for (const row of rows) {
		const id = Number(row['message']);
		const entry = out.get(id) ?? { reactions: {}, mine: [] };
		entry.reactions[row['emoji']] = Number(row['count']);
		if (Number(row['mine']) > 0) entry.mine.push(row['emoji']);
		out.set(id, entry);
	}
	return out;
}

/**
 * The socket's `reaction:add` / `reaction:remove`, idempotent: adding a reaction that exists, or removing one that
 * does not, changes nothing and answers the current state, whichever of the member's devices raced it. Adding goes
 * through Directus's items with the member's accountability, so the rules (rules/reaction-rules.ts), permissions
 * and hooks run as on REST; its budget was spent by the socket handler (prepaidAccountability). Removing is one
 * statement that can only match the member's own reaction (the handler checked that they see the message): it
 * removes it or finds it gone, never a row read a moment before that another device removed in between.
 */
export async function setMessageReaction(
	context: Pick<CommunityContext, 'services' | 'database'>,
	bus: Pick<CommunityBus, 'reactionsChanged'>,
	accountability: Accountability,
	schema: SchemaOverview,
	input: { message: number; emoji: string },
	present: boolean,
): Promise<void> {
	if (!present) {
		const own = { message: input.message, user: String(accountability.user), emoji: input.emoji };
		if ((await removeOwnReactionAsSystem(context.database, own)) > 0) await bus.reactionsChanged(input.message);
		return;
	}
	const reactions = new context.services.ItemsService('community_message_reactions', {
		schema,
		accountability: prepaidAccountability(accountability),
	});
	try {
		await reactions.createOne({ message: input.message, emoji: input.emoji });
	} catch (error) {
		// The reaction exists (another of the member's devices, or an earlier request): the state is what they asked for.
		if (!isUniqueViolation(error) && (error as { code?: unknown })?.code !== 'RECORD_NOT_UNIQUE') throw error;
	}
}

/** Deletes the member's own reaction in one statement (the triggers number the change); answers how many went. */
function removeOwnReactionAsSystem(knex: Knex, own: { message: number; user: string; emoji: string }): Promise<number> {
	return knex('community_message_reactions').where(own).delete();
}
