import type { Knex } from 'knex';

/**
 * Constraints and indexes over several columns. Directus snapshots hold single-column ones only, so
 * these are created here, idempotently (`IF NOT EXISTS` works on SQLite and PostgreSQL).
 */
export interface CompositeIndex {
	name: string;
	table: string;
	columns: string[];
	unique: boolean;
	/** A partial index: only rows matching this SQL condition (the same text on SQLite and PostgreSQL). */
	where?: string;
	/** Why the index exists: the rule it enforces or the query it serves. */
	reason: string;
}

export const COMPOSITE_INDEXES: CompositeIndex[] = [
	{
		name: 'enrollments_user_course_unique',
		table: 'enrollments',
		columns: ['user', 'course'],
		unique: true,
		reason: 'one enrollment per user and course',
	},
	{
		name: 'community_members_group_user_unique',
		table: 'community_members',
		columns: ['group', 'user'],
		unique: true,
		reason: 'one membership per user and group',
	},
	{
		name: 'community_post_reactions_post_user_emoji_unique',
		table: 'community_post_reactions',
		columns: ['post', 'user', 'emoji'],
		unique: true,
		reason: 'one reaction per post, user and emoji',
	},
	{
		name: 'community_messages_sender_client_id_unique',
		table: 'community_messages',
		columns: ['sender', 'client_id'],
		unique: true,
		reason: 'idempotent sends: one message per sender and client_id',
	},
	{
		name: 'community_messages_group_seq_unique',
		table: 'community_messages',
		columns: ['group', 'seq'],
		unique: true,
		reason: 'the sync cursor: seq is unique in a group, read in order',
	},
	{
		// Not unique, on purpose: PostgreSQL takes a stronger row lock for updates of a column in a unique index,
		// which would deadlock two reactions to one message (each holds the other's foreign-key lock). The group's row lock
		// already hands out each number once.
		name: 'community_messages_group_change_seq_index',
		table: 'community_messages',
		columns: ['group', 'change_seq'],
		unique: false,
		reason: "the change cursor: a group's changes read in order",
	},
	{
		name: 'community_message_reactions_message_user_emoji_unique',
		table: 'community_message_reactions',
		columns: ['message', 'user', 'emoji'],
		unique: true,
		reason: 'one reaction per chat message, user and emoji',
	},
	{
		name: 'community_message_receipts_group_user_unique',
		table: 'community_message_receipts',
		columns: ['group', 'user'],
		unique: true,
		reason: 'one read marker per member and group',
	},
	{
		name: 'community_post_views_post_user_day_unique',
		table: 'community_post_views',
		columns: ['post', 'user', 'day'],
		unique: true,
		reason: 'a view counts once per user per day',
	},
	{
		name: 'community_posts_group_parent_status_activity_index',
		table: 'community_posts',
		columns: ['group', 'parent', 'status', 'last_activity_at'],
		unique: false,
		reason: "listing a group's threads and a thread's replies",
	},
	{
		name: 'community_reports_open_post_unique',
		table: 'community_reports',
		columns: ['reporter', 'post'],
		unique: true,
		where: "status = 'open' AND post IS NOT NULL",
		reason: 'one open report per reporter and post',
	},
	{
		name: 'community_reports_open_message_unique',
		table: 'community_reports',
		columns: ['reporter', 'message'],
		unique: true,
		where: "status = 'open' AND message IS NOT NULL",
		reason: 'one open report per reporter and message',
	},
	{
		name: 'community_reports_group_status_index',
		table: 'community_reports',
		columns: ['group', 'status', 'date_created'],
		unique: false,
		reason: "a group's review queue, oldest first",
	},
	{
		name: 'community_posts_gated_threads_index',
		table: 'community_posts',
		// Two columns: Directus reads a single-column index as the field's own `is_indexed` and would diff it away.
		columns: ['group', 'id'],
		unique: false,
		where: 'post_before_replies = true AND parent IS NULL',
		reason: 'the threads that ask a student to post first, looked up for every read scope (rules/reply-gate.ts)',
	},
	{
		name: 'community_notifications_recipient_read_index',
		table: 'community_notifications',
		columns: ['recipient', 'read_at'],
		unique: false,
		reason: 'my unread notifications',
	},
	{
		name: 'community_deliveries_status_due_index',
		table: 'community_deliveries',
		columns: ['status', 'due_at'],
		unique: false,
		reason: 'the outbox: pending deliveries that are due, oldest first',
	},
];

export async function ensureCompositeIndexes(knex: Knex, indexes: CompositeIndex[] = COMPOSITE_INDEXES): Promise<string[]> {
	const ensured: string[] = [];
	for (const index of indexes) {
		if (!(await knex.schema.hasTable(index.table))) continue;
		const columns = index.columns.map(() => '??').join(', ');
		const kind = index.unique ? 'UNIQUE INDEX' : 'INDEX';
		const where = index.where ? ` WHERE ${index.where}` : '';
		await knex.raw(`CREATE ${kind} IF NOT EXISTS ?? ON ?? (${columns})${where}`, [index.name, index.table, ...index.columns]);
		ensured.push(index.name);
	}
	return ensured;
}
