import type { Knex } from 'knex';
import { enrollmentGivesAccess, type EnrollmentFacts, type MemberStatus } from '../access/scope.js';
import { decideJoin, memberRoleFor, membershipAfterEnrollmentChange, type JoinRefusal } from '../domain/membership.js';
import {
	EnrollmentExpiredError,
	EnrollmentInactiveError,
	ForbiddenError,
	GroupArchivedError,
	MemberBannedError,
	NotEnrolledError,
} from '../errors/index.js';
import { nowIso } from '../rules/clock.js';
import { facts, loadGroupFacts, type MemberRow } from '../rules/facts.js';
import type { ReadMarker } from '../rules/read-marker.js';
import type { CommunityContext } from './context.js';

const REFUSALS: Record<JoinRefusal, new () => Error> = {
	NOT_ENROLLED: NotEnrolledError,
	ENROLLMENT_INACTIVE: EnrollmentInactiveError,
	ENROLLMENT_EXPIRED: EnrollmentExpiredError,
	GROUP_ARCHIVED: GroupArchivedError,
	MEMBER_BANNED: MemberBannedError,
};

/** Memberships are the system's to write (members cannot create them over REST): the join rules are here. */
async function membersAsSystem(context: CommunityContext, knex: Knex) {
	return new context.services.ItemsService('community_members', {
		knex,
		schema: await context.getSchema({ database: knex }),
		accountability: null,
	});
}

/** `member_count`: active and muted members, recounted from the rows. */
export async function refreshMemberCount(knex: Knex, groupId: number): Promise<void> {
	const [row] = await knex('community_members').where({ group: groupId }).whereIn('status', ['active', 'muted']).count({ count: '*' });
	await knex('community_groups')
		.where({ id: groupId })
		.update({ member_count: Number(row?.['count'] ?? 0) });
}

/** After members' statuses changed (an instructor muted, banned or unbanned): recount their groups. */
export async function refreshMemberCountsOf(knex: Knex, memberIds: Array<number | string>): Promise<void> {
	const groups: Array<{ group: number }> = await knex('community_members').distinct('group').whereIn('id', memberIds);
	for (const { group } of groups) await refreshMemberCount(knex, group);
}

export interface JoinResult {
	member: MemberRow;
	joined: boolean;
}

/** POST /community/groups/:id/join: the seed's chain, then an idempotent upsert of the membership. */
export async function joinGroup(context: CommunityContext, groupId: number, userId: string): Promise<JoinResult> {
	const { readMarker: _marker, ...result } = await join(context, groupId, userId, false);
	return result;
}

/**
 * The join, and the user's read marker as it stands after it: for a member already in, the marker comes with the
 * join's own facts (one statement for a socket's `group:join`); a new member's is read after joining.
 */
export async function joinGroupWithMarker(
	context: CommunityContext,
	groupId: number,
	userId: string,
): Promise<JoinResult & { readMarker: ReadMarker | null }> {
	return join(context, groupId, userId, true);
}

async function join(
	context: CommunityContext,
	groupId: number,
	userId: string,
	withReadMarker: boolean,
): Promise<JoinResult & { readMarker: ReadMarker | null }> {
	const knex = context.database;
	const { group, enrollment, member, readMarker } = await loadGroupFacts(knex, groupId, userId, { withReadMarker });
	// The chain's first answer for a course you are not in; the same for a group that does not exist, or it would tell which exist.
	if (!group) throw new NotEnrolledError();
	const decision = decideJoin({ group, enrollment: enrollment ?? null, member: member ?? null }, new Date());
	if (!decision.ok) throw new REFUSALS[decision.refusal]();
	if (decision.alreadyMember && member) return { member, joined: false, readMarker: readMarker ?? null };

	const members = await membersAsSystem(context, knex);
	const values = { role: decision.role, status: 'active' as MemberStatus, joined_at: nowIso() };
	if (member) await members.updateOne(member.id, values);
	else {
		try {
			await members.createOne({ group: groupId, user: userId, notify: 'all', ...values });
		} catch (error) {
			// Two joins at once: the unique (group, user) index lets one win; the other is the same join.
			const raced = await facts.member(knex, groupId, userId);
			if (!raced) throw error;
		}
	}
	await refreshMemberCount(knex, groupId);
	return { member: (await facts.member(knex, groupId, userId))!, joined: true, readMarker: null };
}

/** POST /community/groups/:id/leave. Banned members stay banned; leaving twice is fine. */
export async function leaveGroup(context: CommunityContext, groupId: number, userId: string): Promise<MemberRow> {
	const knex = context.database;
	const member = await facts.member(knex, groupId, userId);
	if (!member || member.status === 'left') {
		if (!member) throw new ForbiddenError();
		return member;
	}
	if (member.status === 'banned' || member.status === 'expired') return member;
	await (await membersAsSystem(context, knex)).updateOne(member.id, { status: 'left' });
	await refreshMemberCount(knex, groupId);
	return (await facts.member(knex, groupId, userId))!;
}

export interface MembershipChange {
	group: number;
	user: string;
	from: MemberStatus | null;
	to: MemberStatus;
}

/**
 * Brings memberships in line with enrollments: lost access → `expired` at once; access back → `active`
 * again for expired members; instructors and TAs with access become instructor members of their course's
 * group without asking. Students are never made members without joining.
 */
export async function syncMembershipsForEnrollments(
	context: CommunityContext,
	knex: Knex,
	enrollments: Array<EnrollmentFacts & { user: string }>,
	now = new Date(),
): Promise<MembershipChange[]> {
	const changes: MembershipChange[] = [];
	const members = await membersAsSystem(context, knex);
	for (const enrollment of enrollments) {
		const group = await knex('community_groups').select('id', 'status').where({ course: enrollment.course }).first();
		if (!group) continue;
		const member = await facts.member(knex, group.id, enrollment.user);
		const access = enrollmentGivesAccess(enrollment, now);
		if (member) {
			const next = membershipAfterEnrollmentChange(member.status, access);
			if (next === member.status) continue;
			await members.updateOne(member.id, { status: next });
			changes.push({ group: group.id, user: enrollment.user, from: member.status, to: next });
		} else if (access && enrollment.role !== 'student' && group.status === 'active') {
			await members.createOne({
				group: group.id,
				user: enrollment.user,
				role: memberRoleFor(enrollment.role),
				status: 'active',
				notify: 'all',
				joined_at: nowIso(),
			});
			changes.push({ group: group.id, user: enrollment.user, from: null, to: 'active' });
		}
	}
	for (const groupId of new Set(changes.map((c) => c.group))) await refreshMemberCount(knex, groupId);
	return changes;
}

/**
 * The schedule's sweep: every enrollment of a course with a group, checked against the clock (expiry and
 * start dates pass without any write), and members left without any enrollment expire.
 */
export async function syncAllMemberships(context: CommunityContext, now = new Date()): Promise<number> {
	const knex = context.database;
	const enrollments = await knex('enrollments')
		.join('community_groups', 'community_groups.course', 'enrollments.course')
		.select(
			'enrollments.user',
			'enrollments.course',
			'enrollments.role',
			'enrollments.status',
			'enrollments.starts_at',
			'enrollments.expires_at',
		);
	const changes = await syncMembershipsForEnrollments(context, knex, enrollments, now);
	const orphans: Array<{ id: number }> = await knex('community_members')
		.select('id')
		.whereIn('status', ['active', 'muted'])
		.whereNotExists(
			knex('enrollments')
				.join('community_groups', 'community_groups.course', 'enrollments.course')
				.whereRaw('?? = ??', ['community_groups.id', 'community_members.group'])
				.whereRaw('?? = ??', ['enrollments.user', 'community_members.user'])
				.select(knex.raw('1')),
		);
	// Through the service like every other membership write, so the same hooks revoke the sockets and recount.
	if (orphans.length > 0)
		await (
			await membersAsSystem(context, knex)
		).updateMany(
			orphans.map((row) => row.id),
			{ status: 'expired' },
			{ bypassLimits: true },
		);
	return changes.length + orphans.length;
}

/** One group per course: created with the course, and by the setup for courses that have none. */
export async function ensureGroupsForCourses(context: CommunityContext, courseIds?: number[]): Promise<number[]> {
	const knex = context.database;
	const query = knex('courses')
		.leftJoin('community_groups', 'community_groups.course', 'courses.id')
		.whereNull('community_groups.id')
		.select('courses.id', 'courses.title');
	if (courseIds) query.whereIn('courses.id', courseIds);
	const missing: Array<{ id: number; title: string }> = await query;
	if (missing.length === 0) return [];
	const groupsAsSystem = new context.services.ItemsService('community_groups', {
		knex,
		schema: await context.getSchema({ database: knex }),
		accountability: null,
	});
	const created: number[] = [];
	for (const course of missing) {
		try {
			created.push(Number(await groupsAsSystem.createOne({ course: course.id, name: course.title, status: 'active' })));
		} catch (error) {
			// A concurrent creator won the unique (course) index: the group exists, which is all we need.
			if (!(await knex('community_groups').where({ course: course.id }).first())) throw error;
		}
	}
	return created;
}
