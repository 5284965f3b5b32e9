import type { Knex } from 'knex';
import type { EXPORT_KINDS } from '../rules/schemas.js';

/**
 * Where the community keeps a person's rows, per kind: the table, the column naming the person, and the
 * pseudonym column that names them once their content outlives their account. Export, erasure and account
 * deletion all work from this one list; docs/privacy.md explains every exported field.
 */
export interface PersonDataKind {
	table: string;
	/** The column holding the person's user id. */
	owner: string;
	/** For content kept after the account: the column naming the former member. */
	pseudonym?: string;
	/** The exported columns: the row's own fields, never another person's id. */
	columns: readonly string[];
}

/** The kinds, as the export names them (`?kind=`). */
export type PersonDataKindName = (typeof EXPORT_KINDS)[number];

export const PERSON_DATA = {
	memberships: {
		table: 'community_members',
		owner: 'user',
		columns: ['id', 'group', 'role', 'status', 'notify', 'joined_at', 'date_created', 'date_updated'],
	},
	posts: {
		table: 'community_posts',
		owner: 'author',
		pseudonym: 'author_pseudonym',
		columns: [
			'id',
			'group',
			'parent',
			'title',
			'body',
			'status',
			'moderation_note',
			'moderated_at',
			'pinned',
			'locked',
			'view_count',
			'reply_count',
			'reaction_counts',
			'last_activity_at',
			'edited_at',
			'date_created',
			'date_updated',
		],
	},
	messages: {
		table: 'community_messages',
		owner: 'sender',
		pseudonym: 'sender_pseudonym',
		columns: ['id', 'group', 'seq', 'body', 'reply_to', 'client_id', 'edited_at', 'deleted_at', 'hidden_at', 'date_created'],
	},
	reactions: { table: 'community_post_reactions', owner: 'user', columns: ['id', 'post', 'emoji', 'date_created'] },
	message_reactions: { table: 'community_message_reactions', owner: 'user', columns: ['id', 'message', 'emoji', 'date_created'] },
	post_views: { table: 'community_post_views', owner: 'user', columns: ['id', 'post', 'day'] },
	reports: {
		table: 'community_reports',
		owner: 'reporter',
		columns: ['id', 'group', 'post', 'message', 'reason', 'note', 'status', 'resolution', 'resolved_at', 'date_created'],
	},
	notifications: {
		table: 'community_notifications',
		owner: 'recipient',
		columns: ['id', 'group', 'type', 'post', 'message', 'data', 'read_at', 'date_created'],
	},
	read_markers: {
		table: 'community_message_receipts',
		owner: 'user',
		columns: ['id', 'group', 'last_read_message', 'last_read_seq', 'unread_after_seq', 'read_at'],
	},
	// The token is exported shortened and the Web Push keys not at all (export.ts says why).
	devices: { table: 'community_devices', owner: 'user', columns: ['id', 'platform', 'app_id', 'token', 'date_created', 'date_updated'] },
	notification_settings: {
		table: 'community_notification_settings',
		owner: 'user',
		columns: ['id', 'settings', 'suppressed_email', 'suppressed_reason', 'suppressed_at', 'date_updated'],
	},
	// What was sent to them and when; the text itself is their notifications' (the `notifications` kind).
	deliveries: {
		table: 'community_deliveries',
		owner: 'recipient',
		columns: [
			'id',
			'notification',
			'channel',
			'device',
			'status',
			'attempts',
			'due_at',
			'sent_at',
			'finished_at',
			'sent_ref',
			'last_error',
			'date_created',
		],
	},
} as const satisfies Record<PersonDataKindName, PersonDataKind>;

/** A person as their rows name them: their user id, and the pseudonyms their detached content carries. */
export interface Person {
	userId: string;
	pseudonyms: string[];
}

/** The person's rows of one kind: by user id, or, where the account is gone, by pseudonym. */
export function personRows(knex: Knex, kind: PersonDataKind, person: Person): Knex.QueryBuilder {
	const { owner, pseudonym } = kind;
	return knex(kind.table).where((where) => {
		where.where(owner, person.userId);
		if (pseudonym && person.pseudonyms.length > 0)
			where.orWhere((detached) => detached.whereNull(owner).whereIn(pseudonym, person.pseudonyms));
	});
}
