import { BatchedReads, batchedReadsPer, rowsPerKey } from '../db/batched-reads.js';
import { compiledStatement } from '../db/prepared.js';
import { isPostgres } from '../setup/search-index.js';
import type { Knex } from 'knex';
import { enrollmentGivesAccess, type EnrollmentFacts, type MemberRole, type MemberStatus } from '../access/scope.js';
import type { PostStatus } from '../domain/posts.js';
import {
	ForbiddenError,
	GroupArchivedError,
	MemberBannedError,
	MemberMutedError,
	NotInstructorError,
	NotMemberError,
	NotModeratorError,
} from '../errors/index.js';
import { joinReceipt, markerColumns, markerFromRow, type ReadMarker } from './read-marker.js';

export interface GroupRow {
	id: number;
	course: number;
	name: string;
	status: 'active' | 'archived';
	require_post_approval: boolean | number;
	allow_student_posts: boolean | number;
	chat_enabled: boolean | number;
	slow_mode_seconds: number;
	report_threshold: number;
	last_seq: number | string;
	/** Course rules (domain/course-rules.ts). */
	language: string;
	timezone: string;
	post_before_replies: boolean | number;
	edit_window_minutes: number | null;
	locks_at: unknown;
}

export interface MemberRow {
	id: number;
	group: number;
	user: string;
	role: MemberRole;
	status: MemberStatus;
	notify: 'all' | 'mentions' | 'none';
}

export interface PostRow {
	id: number;
	group: number;
	/** null once the author's account is deleted or their data erased (docs/privacy.md). */
	author: string | null;
	parent: number | null;
	status: PostStatus;
	locked: boolean | number;
	pinned: boolean | number;
	title: string | null;
	body: string;
	post_before_replies: boolean | number;
	locks_at: unknown;
	date_created: unknown;
}

export interface MessageRow {
	id: number | string;
	group: number;
	/** null once the sender's account is deleted or their data erased (docs/privacy.md). */
	sender: string | null;
	seq: number | string;
	deleted_at: unknown;
	hidden_at: unknown;
	body: string;
	date_created: unknown;
}

export interface ReportRow {
	id: number;
	group: number;
	/** null once the reporter's account is deleted or their data erased. */
	reporter: string | null;
	post: number | null;
	message: number | null;
	reason: string;
	note: string | null;
	status: 'open' | 'resolved' | 'dismissed';
}

/** Reads of plain facts for rule checks. Ids come from validated input (schemas.ts), never raw strings. */
export const facts = {
	group: (knex: Knex, id: number) => knex<GroupRow>('community_groups').where({ id }).first(),
	member: (knex: Knex, group: number, user: string) => knex<MemberRow>('community_members').where({ group, user }).first(),
	membership: (knex: Knex, id: number) => knex<MemberRow>('community_members').where({ id }).first(),
	post: (knex: Knex, id: number) => knex<PostRow>('community_posts').where({ id }).first(),
	message: (knex: Knex, id: number) => knex<MessageRow>('community_messages').where({ id }).first(),
	report: (knex: Knex, id: number) => knex<ReportRow>('community_reports').where({ id }).first(),
	enrollment: (knex: Knex, course: number, user: string) =>
		knex<EnrollmentFacts & { id: number; user: string }>('enrollments').where({ course, user }).first(),
};

/**
 * The facts' joins and columns over `query`, which reads `community_groups as g`: the caller's membership and
 * enrollment, and (withReadMarker) their read marker. The group and user are values, or columns of a batch.
 */
function withGroupFacts(
	knex: Knex,
	query: Knex.QueryBuilder,
	groupId: number | Knex.Raw,
	userId: string | Knex.Raw,
	withReadMarker: boolean,
): Knex.QueryBuilder {
	query
		.leftJoin('community_members as m', (join) => join.on('m.group', '=', 'g.id').andOn('m.user', '=', knex.raw('?', [userId])))
		.leftJoin('enrollments as e', (join) => join.on('e.course', '=', 'g.course').andOn('e.user', '=', knex.raw('?', [userId])))
		.where('g.id', groupId);
	if (withReadMarker) joinReceipt(query, knex, userId);
	return query.select(
		'g.*',
		...['id', 'role', 'status', 'notify'].map((column) => `m.${column} as m_${column}`),
		...['id', 'role', 'status', 'starts_at', 'expires_at'].map((column) => `e.${column} as e_${column}`),
		...(withReadMarker ? markerColumns(knex, groupId, userId, 'm.id') : []),
	);
}
const groupFactsStatement = compiledStatement((knex: Knex, groupId: number, userId: string) =>
	withGroupFacts(knex, knex('community_groups as g'), groupId, userId, false).limit(1),
);
const groupFactsWithMarkerStatement = compiledStatement((knex: Knex, groupId: number, userId: string) =>
	withGroupFacts(knex, knex('community_groups as g'), groupId, userId, true).limit(1),
);
/** The facts with the marker for many (group, user) pairs at once (PostgreSQL): rows tagged with their pair's position. */
const groupsFactsWithMarkerStatement = compiledStatement((knex: Knex, groupIds: number[], userIds: string[]) =>
	withGroupFacts(
		knex,
		knex
			.from(knex.raw('unnest(?::integer[], ?::uuid[]) with ordinality as k(group_id, user_id, lms_batch_ord)', [groupIds, userIds]))
			.join('community_groups as g', 'g.id', 'k.group_id'),
		knex.ref('k.group_id'),
		knex.ref('k.user_id'),
		true,
	).select('k.lms_batch_ord'),
);

/** Joins read at once (a connect storm is joins, each reading its facts with the marker), batched on PostgreSQL. */
const JOIN_BATCH_MAX = 200;
const groupFactsWithMarkerReads = batchedReadsPer(
	(knex) =>
		new BatchedReads<{ groupId: number; userId: string }, Record<string, any> | undefined>(
			async (key) => (await groupFactsWithMarkerStatement<Record<string, any>>(knex, key.groupId, key.userId))[0],
			async (keys) =>
				rowsPerKey(
					await groupsFactsWithMarkerStatement<Record<string, any> & { lms_batch_ord: string }>(
						knex,
						keys.map((key) => key.groupId),
						keys.map((key) => key.userId),
					),
					keys.length,
				).map((rows) => rows[0]),
			JOIN_BATCH_MAX,
		),
);

async function groupFactsRow(
	knex: Knex,
	groupId: number,
	userId: string,
	withReadMarker: boolean,
): Promise<Record<string, any> | undefined> {
	if (!withReadMarker) return (await groupFactsStatement<Record<string, any>>(knex, groupId, userId))[0];
	if (!isPostgres(knex) || knex.isTransaction) return (await groupFactsWithMarkerStatement<Record<string, any>>(knex, groupId, userId))[0];
	return groupFactsWithMarkerReads(knex).load({ groupId, userId });
}

/** A group, the caller's membership in it and their enrollment in its course, read in one statement. */
export async function loadGroupFacts(
	knex: Knex,
	groupId: number,
	userId: string,
	options: { withReadMarker?: boolean } = {},
): Promise<{
	group: GroupRow | undefined;
	member: MemberRow | undefined;
	enrollment: (EnrollmentFacts & { id: number; user: string }) | undefined;
	/** With `withReadMarker`: the user's read marker, read in the same statement (a socket join answers it). */
	readMarker?: ReadMarker;
}> {
	// Every join, REST or socket (a connect storm is joins), reads these facts.
	const row = await groupFactsRow(knex, groupId, userId, options.withReadMarker ?? false);
	if (!row) return { group: undefined, member: undefined, enrollment: undefined };
	const group = Object.fromEntries(Object.entries(row).filter(([key]) => !/^([me]|marker)_/.test(key))) as unknown as GroupRow;
	const present = (value: unknown): boolean => value !== null && value !== undefined;
	return {
		group,
		member: present(row['m_id'])
			? { id: Number(row['m_id']), group: groupId, user: userId, role: row['m_role'], status: row['m_status'], notify: row['m_notify'] }
			: undefined,
		enrollment: present(row['e_id'])
			? {
					id: Number(row['e_id']),
					user: userId,
					course: group.course,
					role: row['e_role'],
					status: row['e_status'],
					starts_at: row['e_starts_at'],
					expires_at: row['e_expires_at'],
				}
			: undefined,
		...(options.withReadMarker ? { readMarker: markerFromRow(groupId, row) } : {}),
	};
}

export const flag = (value: boolean | number | null | undefined): boolean => value === true || value === 1;

export const isModeratorRole = (role: MemberRole): boolean => role === 'instructor' || role === 'moderator';

export interface MemberContext {
	group: GroupRow;
	member: MemberRow | null;
	/** The caller is a Directus admin: every group rule is waived. */
	admin: boolean;
	moderator: boolean;
	instructor: boolean;
}

/**
 * The group and the caller's membership; a group that does not exist answers 403 FORBIDDEN. Whether the
 * caller may see the group or a row in it is visibility.ts's to decide.
 */
export async function loadMemberContext(knex: Knex, groupId: number, userId: string, admin: boolean): Promise<MemberContext> {
	const [group, stored] = await Promise.all([facts.group(knex, groupId), facts.member(knex, groupId, userId)]);
	if (!group) throw new ForbiddenError();
	const reading = stored && !admin && (stored.status === 'active' || stored.status === 'muted');
	const enrollment = reading ? await facts.enrollment(knex, group.course, userId) : undefined;
	return memberContextOf(group, stored, enrollment, admin, new Date());
}

/**
 * The caller's context from facts already read. A membership counts only while the enrollment behind it
 * gives access: an enrollment that expired (or has not started) a moment ago ends access now, before the
 * membership sweep marks the row `expired`.
 */
export function memberContextOf(
	group: GroupRow,
	stored: MemberRow | null | undefined,
	enrollment: Omit<EnrollmentFacts, 'course' | 'role'> | null | undefined,
	admin: boolean,
	now: Date,
): MemberContext {
	const reading = stored?.status === 'active' || stored?.status === 'muted';
	const member: MemberRow | null =
		stored && !admin && reading && !(enrollment && enrollmentGivesAccess(enrollment, now))
			? { ...stored, status: 'expired' }
			: (stored ?? null);
	const active = member?.status === 'active';
	return {
		group,
		member,
		admin,
		moderator: admin || (active && isModeratorRole(member!.role)),
		instructor: admin || (active && member!.role === 'instructor'),
	};
}

/** For reading: an active or muted member. */
export function assertCanRead(context: MemberContext): void {
	if (context.admin) return;
	const status = context.member?.status;
	if (status === 'banned') throw new MemberBannedError();
	if (status !== 'active' && status !== 'muted') throw new NotMemberError();
}

/** For writing: an active member of an active group (muted members read only). */
export function assertCanWrite(context: MemberContext): void {
	if (context.admin) return;
	assertCanRead(context);
	if (context.group.status === 'archived') throw new GroupArchivedError();
	if (context.member!.status === 'muted') throw new MemberMutedError();
}

export function assertModerator(context: MemberContext): void {
	if (!context.moderator) throw new NotModeratorError();
	if (!context.admin && context.group.status === 'archived') throw new GroupArchivedError();
}

export function assertInstructor(context: MemberContext): void {
	if (!context.instructor) throw new NotInstructorError();
}
