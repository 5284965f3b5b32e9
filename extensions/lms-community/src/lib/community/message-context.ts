import { InvalidReferenceError } from '../errors/index.js';
import type { SignedInCaller } from '../rules/caller.js';
import { assertCanRead, facts } from '../rules/facts.js';
import type { AroundQuery } from '../rules/schemas.js';
import { loadVisibleGroup, seesMessage } from '../rules/visibility.js';
import type { CommunityContext } from './context.js';

const COLUMNS = [
	'id',
	'group',
	'sender',
	'sender_pseudonym',
	'body',
	'reply_to',
	'seq',
	'edited_at',
	'deleted_at',
	'hidden_at',
	'date_created',
];

/**
 * GET /community/groups/:id/messages/around/:messageId: a search hit in context, the messages just before
 * and after it in `seq` order (oldest first). Hidden messages show only to their sender and moderators, as in
 * every listing; deleted ones stay as empty rows, so the conversation keeps its shape.
 */
export async function messagesAround(
	context: CommunityContext,
	caller: SignedInCaller,
	groupId: number,
	messageId: number,
	query: AroundQuery,
) {
	const knex = context.database;
	const member = await loadVisibleGroup(knex, groupId, caller.userId, caller.admin);
	assertCanRead(member);
	const target = await facts.message(knex, messageId);
	if (!target || target.group !== groupId || !seesMessage(member, target, caller.userId))
		throw new InvalidReferenceError({ reason: 'messageId: must be a message of this group' });
	const seq = Number(target.seq);
	const visible = (q: ReturnType<typeof knex>) => {
		q.select(COLUMNS).where('group', groupId);
		if (!member.moderator) q.where((hidden) => hidden.whereNull('hidden_at').orWhere('sender', caller.userId));
		return q;
	};
	const [before, after] = await Promise.all([
		visible(knex('community_messages')).where('seq', '<', seq).orderBy('seq', 'desc').limit(query.before),
		visible(knex('community_messages')).where('seq', '>', seq).orderBy('seq', 'asc').limit(query.after),
	]);
	const shown = [...before.reverse(), target, ...after];
	return {
		message: Number(target.id),
		messages: shown.map((row: Record<string, unknown>) => ({
			...Object.fromEntries(COLUMNS.map((c) => [c, row[c] ?? null])),
			id: Number(row['id']),
			seq: Number(row['seq']),
		})),
	};
}
