import type { Knex } from 'knex';
import type { MemberRole, MemberStatus } from '../access/scope.js';
import type { SignedInCaller } from '../rules/caller.js';
import { assertModerator, type MemberContext } from '../rules/facts.js';
import { loadVisibleGroup } from '../rules/visibility.js';
import type { CommunityContext } from './context.js';

/**
 * What the admin app's Community module reads: the review queue of the groups a caller moderates, a
 * group's members with their enrollment, and a group's activity. Moderation actions themselves go through
 * the same endpoints and rules as the REST API.
 */

type Caller = Pick<SignedInCaller, 'userId' | 'admin'>;

export interface ModeratedGroup {
	id: number;
	name: string;
	course: number;
	course_title: string | null;
	report_threshold: number;
}

/** The memberships that moderate a group's queue (with the status `active`); admins besides. */
const QUEUE_ROLES = ['instructor', 'moderator'];

/** The users who moderate a group's queue (admins aside): who the queue's live changes go to. */
export async function queueModeratorsOfAsSystem(knex: Knex, group: number): Promise<string[]> {
	return knex('community_members as m')
		.join('community_groups as g', 'g.id', 'm.group')
		.where({ 'm.group': group, 'm.status': 'active', 'g.status': 'active' })
		.whereIn('m.role', QUEUE_ROLES)
		.pluck('m.user');
}

/** Groups the caller moderates (active instructor or moderator membership); admins moderate every group. */
export async function moderatedGroups(knex: Knex, caller: Caller): Promise<ModeratedGroup[]> {
	const query = knex('community_groups as g')
		.leftJoin('courses as c', 'c.id', 'g.course')
		.select('g.id', 'g.name', 'g.course', 'c.title as course_title', 'g.report_threshold')
		.where('g.status', 'active')
		.orderBy('c.title')
		.orderBy('g.id');
	if (!caller.admin)
		query.whereIn(
			'g.id',
			knex('community_members').select('group').where({ user: caller.userId, status: 'active' }).whereIn('role', QUEUE_ROLES),
		);
	const rows = await query;
	return rows.map((row) => ({ ...row, id: Number(row.id), course: Number(row.course), report_threshold: Number(row.report_threshold) }));
}

const person = (prefix: string) => [
	`${prefix}.id as ${prefix}_id`,
	`${prefix}.first_name as ${prefix}_first_name`,
	`${prefix}.last_name as ${prefix}_last_name`,
];
/** Who wrote or reported something, as the module shows them. */
export interface Person {
	id: string;
	first_name: string | null;
	last_name: string | null;
}

const personOf = (row: Record<string, any>, prefix: string): Person | null =>
	row[`${prefix}_id`] ? { id: row[`${prefix}_id`], first_name: row[`${prefix}_first_name`], last_name: row[`${prefix}_last_name`] } : null;

export interface ReportedItem {
	kind: 'post' | 'message';
	id: number;
	group: number;
	title: string | null;
	body: string;
	status: string;
	author: Person | null;
	reports: Array<{ id: number; reason: string; note: string | null; date_created: unknown; reporter: Person | null }>;
}

/**
 * GET /community/moderation/queue: every group the caller moderates (for the filter), and the pending posts
 * and open reports (one entry per reported item) of the groups the filter keeps, oldest first.
 */
export async function moderationQueue(context: CommunityContext, caller: Caller, only: { group?: number; course?: number }) {
	const knex = context.database;
	const groups = await moderatedGroups(knex, caller);
	const inView = groups.filter(
		(g) => (only.group === undefined || g.id === only.group) && (only.course === undefined || g.course === only.course),
	);
	const ids = inView.map((g) => g.id);

	const pending = await knex('community_posts as p')
		.leftJoin('directus_users as a', 'a.id', 'p.author')
		.select('p.id', 'p.group', 'p.parent', 'p.title', 'p.body', 'p.date_created', ...person('a'))
		.whereIn('p.group', ids)
		.where('p.status', 'pending')
		.orderBy('p.id', 'asc')
		.limit(200);

	const reports = await knex('community_reports as r')
		.leftJoin('directus_users as u', 'u.id', 'r.reporter')
		.select('r.id', 'r.group', 'r.post', 'r.message', 'r.reason', 'r.note', 'r.date_created', ...person('u'))
		.whereIn('r.group', ids)
		.where('r.status', 'open')
		.orderBy('r.id', 'asc')
		.limit(1000);
	const postIds = [...new Set(reports.filter((r) => r.post !== null).map((r) => Number(r.post)))];
	const messageIds = [...new Set(reports.filter((r) => r.post === null).map((r) => Number(r.message)))];
	const [posts, messages] = await Promise.all([
		knex('community_posts as p')
			.leftJoin('directus_users as a', 'a.id', 'p.author')
			.select('p.id', 'p.group', 'p.title', 'p.body', 'p.status', ...person('a'))
			.whereIn('p.id', postIds),
		knex('community_messages as m')
			.leftJoin('directus_users as a', 'a.id', 'm.sender')
			.select('m.id', 'm.group', 'm.body', 'm.hidden_at', 'm.deleted_at', ...person('a'))
			.whereIn('m.id', messageIds),
	]);
	const items = new Map<string, ReportedItem>();
	for (const post of posts)
		items.set(`post:${post.id}`, {
			kind: 'post',
			id: Number(post.id),
			group: Number(post.group),
			title: post.title,
			body: post.body,
			status: post.status,
			author: personOf(post, 'a'),
			reports: [],
		});
	for (const message of messages)
		items.set(`message:${message.id}`, {
			kind: 'message',
			id: Number(message.id),
			group: Number(message.group),
			title: null,
			body: message.body,
			status: message.deleted_at ? 'deleted' : message.hidden_at ? 'hidden' : 'visible',
			author: personOf(message, 'a'),
			reports: [],
		});
	// Reports come oldest first, so items come in the order of their oldest open report.
	const ordered: ReportedItem[] = [];
	for (const report of reports) {
		const item = items.get(report.post !== null ? `post:${report.post}` : `message:${report.message}`);
		if (!item) continue;
		if (item.reports.length === 0) ordered.push(item);
		item.reports.push({
			id: Number(report.id),
			reason: report.reason,
			note: report.note,
			date_created: report.date_created,
			reporter: personOf(report, 'u'),
		});
	}

	return {
		groups,
		pending_posts: pending.map((post) => ({
			id: Number(post.id),
			group: Number(post.group),
			parent: post.parent === null ? null : Number(post.parent),
			title: post.title,
			body: post.body,
			date_created: post.date_created,
			author: personOf(post, 'a'),
		})),
		reported_items: ordered,
	};
}

/**
 * Whose e-mail a caller reads among a group's members: admins everyone's; admin-app users (the Instructor
 * role) those of the groups they teach; everyone their own. Students never read other people's e-mail,
 * as on /users (docs/access.md), also where they moderate or teach.
 */
export function emailReader(caller: SignedInCaller, member: MemberContext): (userId: string) => boolean {
	const all = caller.admin || (caller.app && member.instructor);
	return (userId) => all || userId === caller.userId;
}

/** A member as the module shows them; `email` is null where it is not the caller's to read, as on /users. */
export interface MemberProfile extends Person {
	email: string | null;
}

const memberProfile = (row: Record<string, any>, withEmail: boolean): MemberProfile => ({
	id: row['user_id'],
	first_name: row['first_name'],
	last_name: row['last_name'],
	email: withEmail ? row['email'] : null,
});

/** GET /community/moderation/groups/:id/members: each member with role, status and enrollment state. */
export async function groupMembers(context: CommunityContext, caller: SignedInCaller, groupId: number) {
	const knex = context.database;
	const member = await loadVisibleGroup(knex, groupId, caller.userId, caller.admin);
	assertModerator(member);
	const readsEmailOf = emailReader(caller, member);
	const rows = await knex('community_members as m')
		.join('directus_users as u', 'u.id', 'm.user')
		.leftJoin('enrollments as e', function () {
			this.on('e.user', '=', 'm.user').andOnVal('e.course', '=', member.group.course);
		})
		.select(
			'm.id',
			'm.role',
			'm.status',
			'm.joined_at',
			'u.id as user_id',
			'u.first_name',
			'u.last_name',
			'u.email',
			'e.role as enrollment_role',
			'e.status as enrollment_status',
			'e.expires_at as enrollment_expires_at',
		)
		.where('m.group', groupId)
		.orderBy('u.last_name')
		.orderBy('u.first_name');
	return rows.map((row) => ({
		id: Number(row.id),
		role: row.role as MemberRole,
		status: row.status as MemberStatus,
		joined_at: row.joined_at,
		user: memberProfile(row, readsEmailOf(row.user_id)),
		enrollment: row.enrollment_status
			? { role: row.enrollment_role, status: row.enrollment_status, expires_at: row.enrollment_expires_at }
			: null,
	}));
}

const DAY_MS = 86_400_000;
type DayCount = Record<string, unknown> & { count: number | string };

/** The UTC day of a Directus `year()/month()/day()` group row, as YYYY-MM-DD. */
function dayOf(row: Record<string, unknown>): string {
	const part = (fn: string) => Number(row[`${fn}(date_created)`] ?? row[`date_created_${fn}`]);
	const [y, m, d] = [part('year'), part('month'), part('day')];
	return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * GET /community/moderation/groups/:id/activity?days=28: published posts, replies and messages per UTC day,
 * and the members who took no part in that time. Counting goes through Directus's own aggregation with
 * date functions, so it is the same on every database.
 */
export async function groupActivity(context: CommunityContext, caller: SignedInCaller, groupId: number, days: number) {
	const knex = context.database;
	assertModerator(await loadVisibleGroup(knex, groupId, caller.userId, caller.admin));
	const schema = await context.getSchema();
	const asSystem = (collection: string) => new context.services.ItemsService(collection, { knex, schema, accountability: null });
	const since = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - (days - 1) * DAY_MS);
	const inWindow = { group: { _eq: groupId }, date_created: { _gte: since.toISOString() } };
	const byDay = ['year(date_created)', 'month(date_created)', 'day(date_created)'];

	const [threads, replies, messages, posters, senders] = await Promise.all([
		asSystem('community_posts').readByQuery({
			filter: { ...inWindow, status: { _eq: 'published' }, parent: { _null: true } },
			aggregate: { count: ['*'] },
			group: byDay,
			limit: -1,
		}),
		asSystem('community_posts').readByQuery({
			filter: { ...inWindow, status: { _eq: 'published' }, parent: { _nnull: true } },
			aggregate: { count: ['*'] },
			group: byDay,
			limit: -1,
		}),
		asSystem('community_messages').readByQuery({
			filter: { ...inWindow, deleted_at: { _null: true } },
			aggregate: { count: ['*'] },
			group: byDay,
			limit: -1,
		}),
		asSystem('community_posts').readByQuery({
			filter: { ...inWindow, status: { _eq: 'published' } },
			group: ['author'],
			aggregate: { count: ['*'] },
			limit: -1,
		}),
		asSystem('community_messages').readByQuery({ filter: inWindow, group: ['sender'], aggregate: { count: ['*'] }, limit: -1 }),
	]);

	const series = new Map<string, { day: string; threads: number; replies: number; messages: number }>();
	for (let i = 0; i < days; i++) {
		const day = new Date(since.getTime() + i * DAY_MS).toISOString().slice(0, 10);
		series.set(day, { day, threads: 0, replies: 0, messages: 0 });
	}
	const add = (rows: unknown[], field: 'threads' | 'replies' | 'messages') => {
		for (const row of rows as DayCount[]) {
			const entry = series.get(dayOf(row));
			if (entry) entry[field] += Number((row['count'] as unknown as Record<string, unknown>)?.['*'] ?? row.count);
		}
	};
	add(threads, 'threads');
	add(replies, 'replies');
	add(messages, 'messages');

	const active = new Set<string>([
		...(posters as Array<{ author: string }>).map((row) => row.author),
		...(senders as Array<{ sender: string }>).map((row) => row.sender),
	]);
	const members = await groupMembers(context, caller, groupId);
	const readers = members.filter((m) => m.status === 'active' || m.status === 'muted');
	return {
		group: groupId,
		since: since.toISOString(),
		days: [...series.values()],
		participants: readers.filter((m) => active.has(m.user.id)).length,
		inactive_members: readers
			.filter((m) => m.role === 'student' && !active.has(m.user.id))
			.map(({ id, user, status }) => ({ id, user, status })),
	};
}

/** What the endpoints answer, for the Community module's typed calls. */
export type ModerationQueue = Awaited<ReturnType<typeof moderationQueue>>;
export type PendingPost = ModerationQueue['pending_posts'][number];
export type GroupMember = Awaited<ReturnType<typeof groupMembers>>[number];
export type GroupActivity = Awaited<ReturnType<typeof groupActivity>>;
