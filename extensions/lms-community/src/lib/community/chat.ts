import type { Knex } from 'knex';
import { InvalidReferenceError } from '../errors/index.js';
import { nowIso } from '../rules/clock.js';
import { assertCanRead, facts, isModeratorRole } from '../rules/facts.js';
import { joinReceipt, markerColumns, markerFromRow, ownMarker, type ReadMarker } from '../rules/read-marker.js';
import { loadVisibleGroup, seesMessage } from '../rules/visibility.js';
import type { CommunityContext } from './context.js';

export type { ReadMarker } from '../rules/read-marker.js';

/**
 * Unread messages of a member in a group: messages after their marker, not their own, not deleted or hidden.
 * A range on the (group, seq) index: the cost follows the unread count, not the group's history.
 */
export async function unreadCount(knex: Knex, groupId: number, userId: string, afterSeq: number): Promise<number> {
	const [row] = await knex('community_messages')
		.where('group', groupId)
		.andWhere('seq', '>', afterSeq)
		// A former member's messages (sender emptied) count too: `sender <> me` alone is unknown for them.
		.andWhere((others) => others.whereNull('sender').orWhereNot('sender', userId))
		.whereNull('deleted_at')
		.whereNull('hidden_at')
		.count({ count: '*' });
	return Number(row?.['count'] ?? 0);
}

/** The message a read or unread marker points at: one of this group's the caller may see. */
async function markableMessage(knex: Knex, caller: { userId: string; admin: boolean }, groupId: number, messageId: number) {
	const member = await loadVisibleGroup(knex, groupId, caller.userId, caller.admin);
	assertCanRead(member);
	const message = await facts.message(knex, messageId);
	// A message hidden from the caller is referenced like one that does not exist.
	if (!message || message.group !== groupId || !seesMessage(member, message, caller.userId))
		throw new InvalidReferenceError({ reason: 'message: must be a message of this group' });
	return message;
}

/**
 * POST /community/groups/:id/read { message }: moves the caller's marker forward, never back, in one
 * upsert (concurrent marks from two devices end at the higher one). Muted members read, so they mark too.
 */
export async function markRead(
	context: CommunityContext,
	caller: { userId: string; admin: boolean },
	groupId: number,
	messageId: number,
): Promise<ReadMarker> {
	const knex = context.database;
	const message = await markableMessage(knex, caller, groupId, messageId);
	const seq = Number(message.seq);
	const table = 'community_message_receipts';
	const newer = (column: string) =>
		knex.raw(`CASE WHEN excluded.last_read_seq > ??.last_read_seq THEN excluded.?? ELSE ??.?? END`, [table, column, table, column]);
	// A read moves the member's own marker forward too; once it reaches the receipt, the two are one again.
	const ownAfterRead = knex.raw(
		`CASE WHEN ??.unread_after_seq IS NULL OR excluded.last_read_seq >= ??.last_read_seq THEN NULL
			WHEN excluded.last_read_seq > ??.unread_after_seq THEN excluded.last_read_seq ELSE ??.unread_after_seq END`,
		[table, table, table, table],
	);
	await knex(table)
		.insert({ group: groupId, user: caller.userId, last_read_message: message.id, last_read_seq: seq, read_at: nowIso() })
		.onConflict(['group', 'user'])
		.merge({
			last_read_message: newer('last_read_message'),
			last_read_seq: newer('last_read_seq'),
			read_at: newer('read_at'),
			unread_after_seq: ownAfterRead,
		});
	return readMarker(knex, groupId, caller.userId);
}

/**
 * POST /community/groups/:id/unread { message }: moves the caller's own unread marker back to just before that
 * message, on all their devices. The receipt others see ("read by") does not move: it stays forward only.
 * A message that is already unread changes nothing (marking unread never marks anything read).
 */
export async function markUnread(
	context: CommunityContext,
	caller: { userId: string; admin: boolean },
	groupId: number,
	messageId: number,
): Promise<ReadMarker> {
	const knex = context.database;
	const message = await markableMessage(knex, caller, groupId, messageId);
	const before = Number(message.seq) - 1;
	// One statement on the member's row: a concurrent read or unread from another device sees this one's result.
	// No row yet means nothing was ever read: everything is unread already.
	await knex('community_message_receipts')
		.where({ group: groupId, user: caller.userId })
		.andWhere(ownMarker(knex, 'community_message_receipts'), '>', before)
		.update({ unread_after_seq: before });
	return readMarker(knex, groupId, caller.userId);
}

/** A member's read marker and unread count, in one statement. */
export async function readMarker(knex: Knex, groupId: number, userId: string): Promise<ReadMarker> {
	const row: Record<string, unknown> | undefined = await joinReceipt(knex('community_groups as g'), knex, userId)
		.where('g.id', groupId)
		.first(...markerColumns(knex, groupId, userId));
	return markerFromRow(groupId, row);
}

export interface MyGroup {
	id: number;
	name: string;
	course: number;
	status: string;
	role: string;
	member_status: string;
	chat_enabled: boolean;
	unread_messages: number;
	unread_notifications: number;
	last_read_seq: number;
	/** Where the member's own unread messages start (below last_read_seq after "mark unread"). */
	unread_after_seq: number;
	last_message: {
		id: number;
		seq: number;
		/** null once the sender's account is deleted or their data erased; `sender_pseudonym` names them then. */
		sender: string | null;
		sender_pseudonym: string | null;
		body: string;
		date_created: unknown;
		deleted: boolean;
	} | null;
}

/** GET /community/me/groups: my groups with unread counts and the newest message, in four set-based queries. */
export async function myGroups(context: CommunityContext, userId: string): Promise<MyGroup[]> {
	const knex = context.database;
	const rows = await knex('community_members as m')
		.join('community_groups as g', 'g.id', 'm.group')
		.leftJoin('community_message_receipts as r', function joinMarker() {
			this.on('r.group', '=', 'm.group').andOn('r.user', '=', 'm.user');
		})
		.where('m.user', userId)
		.whereIn('m.status', ['active', 'muted'])
		.select(
			'g.id',
			'g.name',
			'g.course',
			'g.status',
			'g.chat_enabled',
			'g.last_seq',
			'm.role',
			'm.status as member_status',
			'r.last_read_seq',
			knex.raw('coalesce(r.unread_after_seq, r.last_read_seq, 0) as unread_after_seq'),
		);
	if (rows.length === 0) return [];
	const groupIds = rows.map((row) => row.id);

	// One indexed range count per group, from the marker already loaded: the cost follows the unread messages,
	// never the group's history (a join on the marker made PostgreSQL scan every message of the group).
	const unread = await Promise.all(rows.map((row) => unreadCount(knex, row.id, userId, Number(row.unread_after_seq))));
	const notifications: Array<{ group: number; count: number | string }> = await knex('community_notifications')
		.where({ recipient: userId })
		.whereNull('read_at')
		.whereNull('dismissed_at')
		.whereIn('group', groupIds)
		.groupBy('group')
		.select('group')
		.count({ count: '*' });
	const lastMessages = await knex('community_messages as msg')
		.join('community_groups as g', function joinNewest() {
			this.on('g.id', '=', 'msg.group').andOn('g.last_seq', '=', 'msg.seq');
		})
		.whereIn('msg.group', groupIds)
		.select(
			'msg.id',
			'msg.group',
			'msg.seq',
			'msg.sender',
			'msg.sender_pseudonym',
			'msg.body',
			'msg.date_created',
			'msg.deleted_at',
			'msg.hidden_at',
		);

	const countOf = (list: Array<{ group: number; count: number | string }>, id: number) =>
		Number(list.find((row) => Number(row.group) === id)?.count ?? 0);
	return rows.map((row, index) => {
		const last = lastMessages.find((m) => Number(m.group) === row.id);
		return {
			id: row.id,
			name: row.name,
			course: row.course,
			status: row.status,
			role: row.role,
			member_status: row.member_status,
			chat_enabled: row.chat_enabled === true || row.chat_enabled === 1,
			unread_messages: unread[index]!,
			unread_notifications: countOf(notifications, row.id),
			last_read_seq: Number(row.last_read_seq ?? 0),
			unread_after_seq: Number(row.unread_after_seq),
			last_message: last
				? {
						id: Number(last.id),
						seq: Number(last.seq),
						sender: last.sender,
						sender_pseudonym: last.sender_pseudonym,
						// A message hidden pending review shows only to its sender and the group's moderators.
						body: last.hidden_at && last.sender !== userId && !isModeratorRole(row.role) ? '' : last.body,
						date_created: last.date_created,
						deleted: Boolean(last.deleted_at),
						hidden: Boolean(last.hidden_at),
					}
				: null,
		};
	});
}

/** POST /community/notifications/read { ids } | { all: true }: only the caller's own, set-based. */
export async function markNotificationsRead(context: CommunityContext, userId: string, ids: number[] | 'all'): Promise<number> {
	const query = context.database('community_notifications').where({ recipient: userId }).whereNull('read_at');
	if (ids !== 'all') query.whereIn('id', ids);
	return query.update({ read_at: nowIso() });
}
