import type { Knex } from 'knex';

/**
 * What changed in a group's moderation queue, told live to the group's moderators (`moderation:queue`): a hint
 * to reload the queue, with no content in it. Made from Directus's item actions, so every path counts (REST,
 * the socket, the admin app, Flows, the bundle's own system writes, which all go through ItemsService).
 */
export interface QueueChange {
	group: number;
	item: 'report' | 'post' | 'message';
	id: number;
	/** The report's or post's status; for a message `hidden`, `visible` or `deleted`. */
	status: string;
}

export interface ItemAction {
	key?: number | string;
	keys?: Array<number | string>;
	payload: Record<string, unknown>;
}

/** The item actions that can change a queue. */
export const QUEUE_ACTIONS = [
	'community_reports.items.create',
	'community_reports.items.update',
	'community_posts.items.create',
	'community_posts.items.update',
	'community_messages.items.update',
] as const;
export type QueueAction = (typeof QUEUE_ACTIONS)[number];

const keysOf = (meta: ItemAction) => (meta.keys ?? (meta.key === undefined ? [] : [meta.key])).map(Number);

/** The queue changes one item action made; none for writes the queue does not show. */
export async function queueChangesOfAsSystem(knex: Knex, action: QueueAction, meta: ItemAction): Promise<QueueChange[]> {
	const keys = keysOf(meta);
	if (keys.length === 0) return [];
	const changed = (field: string) => Object.hasOwn(meta.payload ?? {}, field);
	switch (action) {
		case 'community_reports.items.create':
		case 'community_reports.items.update': {
			if (action.endsWith('update') && !changed('status')) return [];
			const rows = await knex('community_reports').whereIn('id', keys).select('id', 'group', 'status');
			return rows.map((row) => ({ group: Number(row.group), item: 'report', id: Number(row.id), status: String(row.status) }));
		}
		case 'community_posts.items.create':
		case 'community_posts.items.update': {
			if (action.endsWith('update') && !changed('status')) return [];
			const rows = await knex('community_posts').whereIn('id', keys).select('id', 'group', 'status');
			// A new post enters the queue only when it waits for approval; drafts are nobody's but the author's.
			return rows
				.filter((row) => (action.endsWith('create') ? row.status === 'pending' : row.status !== 'draft'))
				.map((row) => ({ group: Number(row.group), item: 'post', id: Number(row.id), status: String(row.status) }));
		}
		case 'community_messages.items.update': {
			if (!changed('hidden_at') && !changed('deleted_at')) return [];
			// Chat messages are in the queue only while reported.
			const rows = await knex('community_messages as m')
				.whereIn('m.id', keys)
				.whereExists(knex('community_reports as r').whereRaw('?? = ??', ['r.message', 'm.id']).where('r.status', 'open'))
				.select('m.id', 'm.group', 'm.hidden_at', 'm.deleted_at');
			return rows.map((row) => ({
				group: Number(row.group),
				item: 'message',
				id: Number(row.id),
				status: row.deleted_at ? 'deleted' : row.hidden_at ? 'hidden' : 'visible',
			}));
		}
	}
}
