import { timeOf } from '../rules/clock.js';
import { enrollmentGivesAccess, type EnrollmentFacts, type MemberRole, type MemberStatus } from '../access/scope.js';

export type JoinRefusal = 'NOT_ENROLLED' | 'ENROLLMENT_INACTIVE' | 'ENROLLMENT_EXPIRED' | 'GROUP_ARCHIVED' | 'MEMBER_BANNED';

export interface JoinFacts {
	group: { status: 'active' | 'archived' };
	enrollment: Omit<EnrollmentFacts, 'course'> | null;
	member: { role: MemberRole; status: MemberStatus } | null;
}

export type JoinDecision = { ok: true; role: MemberRole; alreadyMember: boolean } | { ok: false; refusal: JoinRefusal };

/**
 * Why an enrollment does not give access, in the seed's order: not active or not started before expired,
 * so a cancelled enrollment that also expired says "inactive".
 */
export function enrollmentRefusal(enrollment: Omit<EnrollmentFacts, 'course'> | null, now: Date): JoinRefusal | null {
	if (!enrollment) return 'NOT_ENROLLED';
	if (enrollmentGivesAccess(enrollment, now)) return null;
	const startsAt = timeOf(enrollment.starts_at);
	if (enrollment.status !== 'active' || (startsAt !== null && startsAt > now.getTime())) return 'ENROLLMENT_INACTIVE';
	return 'ENROLLMENT_EXPIRED';
}

/** The group role an enrollment role gives: teachers moderate as instructors. */
export function memberRoleFor(enrollmentRole: EnrollmentFacts['role']): MemberRole {
	return enrollmentRole === 'student' ? 'student' : 'instructor';
}

/** The join chain of the seed: enrollment, its state, the group, then a ban. */
export function decideJoin(facts: JoinFacts, now: Date): JoinDecision {
	const refusal = enrollmentRefusal(facts.enrollment, now);
	if (refusal) return { ok: false, refusal };
	if (facts.group.status === 'archived') return { ok: false, refusal: 'GROUP_ARCHIVED' };
	if (facts.member?.status === 'banned') return { ok: false, refusal: 'MEMBER_BANNED' };
	const enrollmentRole = memberRoleFor(facts.enrollment!.role);
	// A moderator promoted by an instructor keeps that role when they rejoin.
	const role = facts.member && facts.member.role !== 'student' && enrollmentRole === 'student' ? facts.member.role : enrollmentRole;
	const alreadyMember = facts.member?.status === 'active' || facts.member?.status === 'muted';
	return { ok: true, role: alreadyMember ? facts.member!.role : role, alreadyMember };
}

/**
 * What an enrollment change does to an existing membership: access lost → `expired`; access back → the
 * member returns to `active` only from `expired` (a ban, a mute or leaving stays as it is).
 */
export function membershipAfterEnrollmentChange(current: MemberStatus, enrollmentGivesAccessNow: boolean): MemberStatus {
	if (!enrollmentGivesAccessNow) return current === 'active' || current === 'muted' ? 'expired' : current;
	return current === 'expired' ? 'active' : current;
}
