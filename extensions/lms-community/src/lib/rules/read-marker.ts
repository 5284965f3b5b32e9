import type { Knex } from 'knex';

export interface ReadMarker {
	group: number;
	/** The receipt others see ("read by"): forward only. */
	last_read_message: number | null;
	last_read_seq: number;
	/** The member's own marker: messages with a higher seq are unread for them (below last_read_seq after "mark unread"). */
	unread_after_seq: number;
	unread: number;
}

/** The member's own unread marker: `unread_after_seq` when they marked unread, else the receipt. */
export const ownMarker = (knex: Knex, receipts: string) =>
	knex.raw('coalesce(??, ??, 0)', [`${receipts}.unread_after_seq`, `${receipts}.last_read_seq`]);

/** Joins the user's receipt as `r` onto a query of `community_groups as g`. */
export function joinReceipt(query: Knex.QueryBuilder, knex: Knex, userId: string | Knex.Raw): Knex.QueryBuilder {
	return query.leftJoin('community_message_receipts as r', (join) =>
		join.on('r.group', '=', 'g.id').andOn('r.user', '=', knex.raw('?', [userId])),
	);
}

/**
 * The marker's columns over a query that joined the receipt as `r` (joinReceipt), the unread count a subquery:
 * messages after the member's own marker, not their own, not deleted or hidden. With `countWhen`, the count is
 * taken only where that column is not null (a join's facts count for members only: for anyone else the whole
 * group would be counted, and the answer thrown away).
 */
export function markerColumns(
	knex: Knex,
	groupId: number | Knex.Raw,
	userId: string | Knex.Raw,
	countWhen?: string,
): Array<string | Knex.QueryBuilder | Knex.Raw> {
	const unread = knex('community_messages as u')
		.count('*')
		.where('u.group', groupId)
		.andWhere('u.seq', '>', ownMarker(knex, 'r'))
		// A former member's messages (sender emptied) count too: `sender <> me` alone is unknown for them.
		.andWhere((others) => others.whereNull('u.sender').orWhereNot('u.sender', userId))
		.whereNull('u.deleted_at')
		.whereNull('u.hidden_at');
	return [
		'r.last_read_message as marker_last_read_message',
		'r.last_read_seq as marker_last_read_seq',
		'r.unread_after_seq as marker_unread_after_seq',
		countWhen ? knex.raw('case when ?? is not null then (?) end as ??', [countWhen, unread, 'marker_unread']) : unread.as('marker_unread'),
	];
}

/** The marker from a row holding markerColumns. */
export function markerFromRow(groupId: number, row: Record<string, unknown> | undefined): ReadMarker {
	const lastReadMessage = row?.['marker_last_read_message'];
	const lastReadSeq = Number(row?.['marker_last_read_seq'] ?? 0);
	return {
		group: groupId,
		last_read_message: lastReadMessage === undefined || lastReadMessage === null ? null : Number(lastReadMessage),
		last_read_seq: lastReadSeq,
		unread_after_seq: Number(row?.['marker_unread_after_seq'] ?? lastReadSeq),
		unread: Number(row?.['marker_unread'] ?? 0),
	};
}
