import { PUBLIC_PROFILE_FIELDS } from './row-filters.js';

/**
 * The read policy for every caller who is not an admin, as data: which collections, fields, relations,
 * filter operators and query parameters a query may use. It is an allow-list: a query passes only if every
 * part of it is named here, and anything Directus's query language has or adds that is not named is refused
 * with QUERY_NOT_ALLOWED and the name of the part (query-check.ts walks a query against it). Which rows a
 * caller then gets is row-filters.ts; docs/security.md explains both.
 */

export type RelationKind = 'm2o' | 'o2m';
export interface RelationRule {
	kind: RelationKind;
	collection: string;
}

export interface CollectionRule {
	/** Own columns that may be read, filtered, sorted, grouped and aggregated (m2o keys included). */
	fields: readonly string[];
	/** Relations that may be expanded or filtered through; any other relation is refused. */
	relations: Readonly<Record<string, RelationRule>>;
	/** `search` matches every text column; allowed only where every such column of a visible row is readable. */
	search: boolean;
}

const m2o = (collection: string): RelationRule => ({ kind: 'm2o', collection });
const o2m = (collection: string): RelationRule => ({ kind: 'o2m', collection });

const USERS = 'directus_users';

/** Community collections (and the LMS ones they rest on) that non-admins read only as this policy says. */
export const READ_POLICY = {
	courses: {
		fields: ['id', 'title', 'code', 'status', 'date_created', 'date_updated'],
		relations: { enrollments: o2m('enrollments') },
		search: true,
	},
	enrollments: {
		fields: ['id', 'user', 'course', 'role', 'status', 'starts_at', 'expires_at', 'date_created', 'date_updated'],
		relations: { user: m2o(USERS), course: m2o('courses') },
		search: true,
	},
	community_groups: {
		fields: [
			'id',
			'course',
			'name',
			'description',
			'status',
			'require_post_approval',
			'allow_student_posts',
			'chat_enabled',
			'slow_mode_seconds',
			'report_threshold',
			'member_count',
			'last_seq',
			'ends_at',
			'retention_days',
			'retention_action',
			'language',
			'timezone',
			'post_before_replies',
			'edit_window_minutes',
			'locks_at',
			'date_created',
			'date_updated',
		],
		relations: {
			course: m2o('courses'),
			members: o2m('community_members'),
			posts: o2m('community_posts'),
			messages: o2m('community_messages'),
			receipts: o2m('community_message_receipts'),
		},
		search: true,
	},
	community_members: {
		fields: ['id', 'group', 'user', 'role', 'status', 'joined_at', 'notify', 'date_created', 'date_updated'],
		relations: { group: m2o('community_groups'), user: m2o(USERS) },
		search: true,
	},
	community_posts: {
		fields: [
			'id',
			'group',
			'author',
			'author_pseudonym',
			'parent',
			'title',
			'body',
			'status',
			'moderation_note',
			'moderated_by',
			'moderated_at',
			'pinned',
			'locked',
			'view_count',
			'reply_count',
			'reaction_counts',
			'last_activity_at',
			'edited_at',
			'post_before_replies',
			'locks_at',
			'date_created',
			'date_updated',
		],
		relations: {
			group: m2o('community_groups'),
			author: m2o(USERS),
			parent: m2o('community_posts'),
			moderated_by: m2o(USERS),
			replies: o2m('community_posts'),
			reactions: o2m('community_post_reactions'),
		},
		search: true,
	},
	community_post_reactions: {
		fields: ['id', 'post', 'user', 'emoji', 'date_created'],
		relations: { post: m2o('community_posts'), user: m2o(USERS) },
		search: true,
	},
	community_messages: {
		fields: [
			'id',
			'group',
			'sender',
			'sender_pseudonym',
			'body',
			'reply_to',
			'client_id',
			'seq',
			'change_seq',
			'edited_at',
			'deleted_at',
			'hidden_at',
			'date_created',
		],
		relations: { group: m2o('community_groups'), sender: m2o(USERS), reply_to: m2o('community_messages') },
		search: true,
	},
	community_message_reactions: {
		fields: ['id', 'message', 'user', 'emoji', 'date_created'],
		relations: { message: m2o('community_messages'), user: m2o(USERS) },
		search: true,
	},
	community_message_receipts: {
		fields: ['id', 'group', 'user', 'last_read_message', 'last_read_seq', 'read_at'],
		relations: { group: m2o('community_groups'), user: m2o(USERS), last_read_message: m2o('community_messages') },
		search: true,
	},
	community_notifications: {
		fields: ['id', 'recipient', 'actor', 'group', 'type', 'post', 'message', 'data', 'read_at', 'dismissed_at', 'date_created'],
		relations: {
			recipient: m2o(USERS),
			actor: m2o(USERS),
			group: m2o('community_groups'),
			post: m2o('community_posts'),
			message: m2o('community_messages'),
		},
		search: true,
	},
	community_reports: {
		fields: [
			'id',
			'group',
			'reporter',
			'post',
			'message',
			'reason',
			'note',
			'status',
			'resolution',
			'author_action',
			'resolved_by',
			'resolved_at',
			'resolution_note',
			'date_created',
		],
		relations: {
			group: m2o('community_groups'),
			reporter: m2o(USERS),
			post: m2o('community_posts'),
			message: m2o('community_messages'),
			resolved_by: m2o(USERS),
		},
		search: true,
	},
	/** Other people's profiles: public fields, the avatar file, no search (it would match e-mail addresses). */
	directus_users: {
		fields: PUBLIC_PROFILE_FIELDS,
		relations: { avatar: m2o('directus_files') },
		search: false,
	},
} satisfies Record<string, CollectionRule>;

export type GuardedCollection = keyof typeof READ_POLICY;

/**
 * Collections under this policy. These are too, with no rule: nobody but admins reads them through Directus.
 * The delivery collections hold device tokens, e-mail suppressions and the outbox (docs/notifications.md);
 * members reach their own settings and devices through /community only.
 */
export const GUARDED_COLLECTIONS: readonly string[] = [
	...Object.keys(READ_POLICY),
	'community_post_views',
	'community_privacy_log',
	'community_deliveries',
	'community_devices',
	'community_notification_settings',
];

export function isGuardedCollection(collection: string): boolean {
	return GUARDED_COLLECTIONS.includes(collection);
}

export function ruleFor(collection: string): CollectionRule | null {
	return (READ_POLICY as Record<string, CollectionRule>)[collection] ?? null;
}

/** Top-level query parameters a non-admin may send. Not here: alias, export, version, versionRaw, and whatever comes next. */
export const QUERY_PARAMETERS = [
	'fields',
	'filter',
	'search',
	'sort',
	'limit',
	'offset',
	'page',
	'deep',
	'meta',
	'aggregate',
	'group',
	'backlink',
];

/** `filter_count` is counted from the scoped filter; `total_count` would count every row of the table. */
export const META_VALUES = ['filter_count'];

export const FILTER_OPERATORS = [
	'_eq',
	'_neq',
	'_lt',
	'_lte',
	'_gt',
	'_gte',
	'_in',
	'_nin',
	'_null',
	'_nnull',
	'_contains',
	'_ncontains',
	'_icontains',
	'_nicontains',
	'_starts_with',
	'_nstarts_with',
	'_istarts_with',
	'_nistarts_with',
	'_ends_with',
	'_nends_with',
	'_iends_with',
	'_niends_with',
	'_between',
	'_nbetween',
	'_empty',
	'_nempty',
];

/** Inside `deep`, per relation: paging and ordering only; the bundle adds the row filter itself. */
export const DEEP_PARAMETERS = ['_limit', '_offset', '_page', '_sort'];

export const AGGREGATE_FUNCTIONS = ['count', 'countDistinct', 'countAll', 'sum', 'sumDistinct', 'avg', 'avgDistinct', 'min', 'max'];

/** Date parts usable on timestamp fields in fields, filter keys and groupBy. `count()` over relations is not here. */
export const DATE_FUNCTIONS = ['year', 'month', 'week', 'day', 'weekday', 'hour', 'minute', 'second'];

/** Longest list in `_in`/`_nin`, longest string value, deepest filter: bounds on what one query costs. */
export const VALUE_LIMITS = { listLength: 100, stringLength: 500, filterDepth: 6 };

/** Default cap on `limit` for non-admins (COMMUNITY_QUERY_LIMIT_MAX); `-1` (everything) is refused. */
export const DEFAULT_QUERY_LIMIT_MAX = 200;
