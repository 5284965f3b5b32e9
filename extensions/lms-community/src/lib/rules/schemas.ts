import { z } from 'zod';
import { LIMITS } from '../domain/limits.js';
import { checkPlainText, type TextLines } from '../domain/text.js';
import { isTimeZone, SEARCH_LANGUAGES } from '../domain/course-rules.js';

/** PostgreSQL's `integer`: the type of every id column the bundle looks ids up in (snapshots/*.yaml). */
export const MAX_ID = 2_147_483_647;
export const ID_EXPECTED = `expected a positive integer id (at most ${MAX_ID})`;

/**
 * The one id parser: a JSON integer or a string of digits (URL params), 1 to MAX_ID. Anything else is a 400
 * here, never a database error: PostgreSQL answers an out-of-range parameter with a 500, and coercion would
 * read `true`, `[5]` or `"1e3"` as ids.
 */
export const Id = z
	.union(
		[
			z.number(),
			z
				.string()
				.regex(/^[0-9]+$/, ID_EXPECTED)
				.transform(Number),
		],
		{ errorMap: () => ({ message: ID_EXPECTED }) },
	)
	.pipe(z.number().int(ID_EXPECTED).min(1, ID_EXPECTED).max(MAX_ID, ID_EXPECTED));
export type Id = z.infer<typeof Id>;

/** A `seq` cursor (a bigint column): 0 or more, within what JSON numbers carry exactly. */
export const Seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A client's own id for a send (its retries carry it): one line of text, no control characters (PostgreSQL refuses NUL). */
export const ClientId = z
	.string()
	.trim()
	.min(1)
	.max(LIMITS.clientId)
	.refine((value) => checkPlainText(value, LIMITS.clientId, 'single').ok, 'must not hold control characters');

const PLAIN_TEXT_PROBLEMS = {
	not_text: () => 'must be text',
	too_long: (max: number) => `at most ${max} characters`,
	control_character: (_max: number, lines: TextLines) =>
		lines === 'single' ? 'must be one line without control characters' : 'must not contain control characters',
} as const;

/** Titles, names and notes (domain/text.ts `checkPlainText`): trimmed, at most `max` characters, no control characters. */
export const PlainText = (max: number, lines: TextLines) =>
	z.unknown().transform((value, context) => {
		const checked = checkPlainText(value, max, lines);
		if (checked.ok) return checked.text;
		context.addIssue({ code: z.ZodIssueCode.custom, message: PLAIN_TEXT_PROBLEMS[checked.reason](max, lines) });
		return z.NEVER;
	});

/** A moment as ISO 8601 with a zone (`2026-06-30T22:00:00Z`): a cut-off must not depend on the server's zone. */
export const Timestamp = z.string().datetime({ offset: true, message: 'expected an ISO 8601 time with a zone, e.g. 2026-06-30T22:00:00Z' });

/** What a member may send when creating a post over REST. */
export const PostCreateInput = z
	.object({
		group: Id,
		parent: Id.nullish(),
		title: PlainText(LIMITS.postTitle, 'single').nullish(),
		body: z.unknown(),
		/** A wish: `draft` or `published` (which may become `pending`); other states are the server's. */
		status: z.string().optional(),
		/** Thread rules, moderators only (domain/course-rules.ts). */
		post_before_replies: z.boolean().optional(),
		locks_at: Timestamp.nullish(),
	})
	.strict();
export type PostCreateInput = z.infer<typeof PostCreateInput>;

/** What an author may change on their post; moderators may also pin, lock and delete. */
export const PostUpdateInput = z
	.object({
		title: PlainText(LIMITS.postTitle, 'single').nullish(),
		body: z.unknown().optional(),
		status: z.string().optional(),
		pinned: z.boolean().optional(),
		locked: z.boolean().optional(),
		post_before_replies: z.boolean().optional(),
		locks_at: Timestamp.nullish(),
	})
	.strict();
export type PostUpdateInput = z.infer<typeof PostUpdateInput>;

export const MessageCreateInput = z
	.object({
		group: Id,
		body: z.unknown(),
		reply_to: Id.nullish(),
		client_id: ClientId.nullish(),
	})
	.strict();
export type MessageCreateInput = z.infer<typeof MessageCreateInput>;

/** `deleted_at` with any value means "delete it" (the server sets the time). */
export const MessageUpdateInput = z
	.object({
		body: z.unknown().optional(),
		deleted_at: z.unknown().optional(),
	})
	.strict();
export type MessageUpdateInput = z.infer<typeof MessageUpdateInput>;

export const MemberUpdateInput = z
	.object({
		status: z.enum(['active', 'muted', 'banned']).optional(),
		role: z.enum(['student', 'moderator']).optional(),
		notify: z.enum(['all', 'mentions', 'none']).optional(),
	})
	.strict();
export type MemberUpdateInput = z.infer<typeof MemberUpdateInput>;

export const GroupUpdateInput = z
	.object({
		name: PlainText(LIMITS.groupName, 'single').pipe(z.string().min(1, 'must not be empty')).optional(),
		description: z.string().max(LIMITS.postBody).nullish(),
		require_post_approval: z.boolean().optional(),
		allow_student_posts: z.boolean().optional(),
		chat_enabled: z.boolean().optional(),
		slow_mode_seconds: z.number().int().min(0).max(86_400).optional(),
		report_threshold: z.number().int().min(0).max(1_000).optional(),
		language: z.enum(SEARCH_LANGUAGES).optional(),
		timezone: z.string().max(64).refine(isTimeZone, 'expected an IANA time zone such as Europe/Berlin').optional(),
		post_before_replies: z.boolean().optional(),
		edit_window_minutes: z.number().int().min(0).max(525_600).nullish(),
		locks_at: Timestamp.nullish(),
	})
	.strict();
export type GroupUpdateInput = z.infer<typeof GroupUpdateInput>;

export const ReadMarkerInput = z.object({ message: Id }).strict();
export type ReadMarkerInput = z.infer<typeof ReadMarkerInput>;

export const ModerationNoteInput = z.object({ note: PlainText(LIMITS.moderationNote, 'multi').optional() }).strict();
export type ModerationNoteInput = z.infer<typeof ModerationNoteInput>;

export const ReactionInput = z.object({ emoji: z.string().min(1).max(32) }).strict();
export type ReactionInput = z.infer<typeof ReactionInput>;

export const NotificationsReadInput = z.union([
	z.object({ ids: z.array(Id).min(1).max(500) }).strict(),
	z.object({ all: z.literal(true) }).strict(),
]);
export type NotificationsReadInput = z.infer<typeof NotificationsReadInput>;

export const REPORT_REASONS = ['spam', 'harassment', 'off_topic', 'other'] as const;

/** A member's report: exactly one of `post` and `message`. */
export const ReportCreateInput = z
	.object({
		post: Id.nullish(),
		message: Id.nullish(),
		reason: z.enum(REPORT_REASONS),
		note: PlainText(LIMITS.moderationNote, 'multi').nullish(),
	})
	.strict()
	.refine((input) => (input.post ? 1 : 0) + (input.message ? 1 : 0) === 1, { message: 'report exactly one post or one message' });
export type ReportCreateInput = z.infer<typeof ReportCreateInput>;

/** A moderator's decision on a report: what happens to the item, and optionally to its author. */
export const ReportResolveInput = z
	.object({
		action: z.enum(['keep', 'hide', 'delete']),
		author: z.enum(['mute', 'ban']).nullish(),
		note: PlainText(LIMITS.moderationNote, 'multi').nullish(),
	})
	.strict();
export type ReportResolveInput = z.infer<typeof ReportResolveInput>;

/** Query string of the moderation queue: narrow it to one group or course. */
export const QueueQuery = z.object({ group: Id.optional(), course: Id.optional() }).strict();
export type QueueQuery = z.infer<typeof QueueQuery>;

/** GET /community/search. */
export const SearchQuery = z
	.object({
		q: z.string().trim().min(1, 'must not be empty').max(200),
		group: Id.optional(),
		type: z.enum(['posts', 'messages']).default('posts'),
		cursor: z.string().max(200).optional(),
		limit: z.coerce.number().int().min(1).max(50).default(20),
	})
	.strict();
export type SearchQuery = z.infer<typeof SearchQuery>;

/** GET /community/groups/:id/messages/around/:messageId: how many messages before and after the one asked for. */
export const AroundQuery = z
	.object({
		before: z.coerce.number().int().min(0).max(100).default(20),
		after: z.coerce.number().int().min(0).max(100).default(20),
	})
	.strict();
export type AroundQuery = z.infer<typeof AroundQuery>;

const Day = z
	.string()
	.regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a day as YYYY-MM-DD')
	.refine((day) => !Number.isNaN(Date.parse(`${day}T00:00:00Z`)), 'not a date');

/** GET /community/groups/:id/participation: days of the course (its time zone), both included. */
export const ParticipationQuery = z
	.object({ from: Day.optional(), to: Day.optional(), format: z.enum(['json', 'csv']).default('json') })
	.strict()
	.refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });
export type ParticipationQuery = z.infer<typeof ParticipationQuery>;

export const ActivityQuery = z.object({ days: z.coerce.number().int().min(1).max(180).default(28) }).strict();
export type ActivityQuery = z.infer<typeof ActivityQuery>;

/** A user id in a URL: a uuid, or `me` for the caller. */
export const UserRef = z.union([z.literal('me'), z.string().uuid('expected a user id (uuid) or "me"')]);
export type UserRef = z.infer<typeof UserRef>;

export const EXPORT_KINDS = [
	'memberships',
	'posts',
	'messages',
	'reactions',
	'message_reactions',
	'post_views',
	'reports',
	'notifications',
	'read_markers',
	'devices',
	'notification_settings',
	'deliveries',
] as const;

/** Query string of GET /community/users/:id/export: JSON of every kind, or CSV of one. */
export const ExportQuery = z
	.object({ format: z.enum(['json', 'csv']).default('json'), kind: z.enum(EXPORT_KINDS).optional() })
	.strict()
	.refine((query) => query.format !== 'csv' || query.kind !== undefined, {
		message: 'kind: CSV exports one kind at a time',
		path: ['kind'],
	});
export type ExportQuery = z.infer<typeof ExportQuery>;

export const EraseInput = z.object({}).strict();
export type EraseInput = z.infer<typeof EraseInput>;

/** Which groups to archive: by id, by course, or those whose course ended before a date (a term). */
export const ArchiveInput = z
	.object({
		groups: z.array(Id).min(1).max(500).optional(),
		courses: z.array(Id).min(1).max(500).optional(),
		ended_before: z.string().datetime({ offset: true }).optional(),
	})
	.strict()
	.refine((input) => input.groups || input.courses || input.ended_before, { message: 'name groups, courses or ended_before' });
export type ArchiveInput = z.infer<typeof ArchiveInput>;

/** DELETE /community/groups/:id: the confirmation the preview gives, and whether the course goes too. */
export const GroupDeleteInput = z.object({ confirm: z.string().max(100), course: z.boolean().optional() }).strict();
export type GroupDeleteInput = z.infer<typeof GroupDeleteInput>;
