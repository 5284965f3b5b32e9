import { timeOf } from '../rules/clock.js';

/**
 * What a caller may see, as plain ids: the groups they read and moderate, the courses they are
 * enrolled in and teach. Row filters are built from it (row-filters.ts). Ids instead of relational
 * `_some` filters keep the permission cost of a listing close to an admin's (one indexed `IN`).
 */
export interface AccessScope {
	userId: string;
	/** Groups where the caller is a member who may read (active or muted, enrollment giving access now). */
	readableGroupIds: number[];
	/** Groups where the caller is an active instructor or moderator. */
	moderatedGroupIds: number[];
	/** Groups where the caller is an active instructor (with admin-app access, they see members' e-mails). */
	taughtGroupIds: number[];
	/** Courses the caller has any enrollment in (any status). */
	enrolledCourseIds: number[];
	/** Courses where the caller's enrollment currently gives access. */
	activeCourseIds: number[];
	/** Courses the caller teaches (instructor or TA, enrollment currently active). */
	taughtCourseIds: number[];
	/** Threads whose replies the caller may not read yet ("post before you see replies", domain/course-rules.ts). */
	gatedThreadIds: number[];
}

export type EnrollmentRole = 'student' | 'instructor' | 'ta';
export type EnrollmentStatus = 'active' | 'pending_payment' | 'suspended' | 'cancelled' | 'completed';
export type MemberRole = 'student' | 'instructor' | 'moderator';
export type MemberStatus = 'active' | 'muted' | 'banned' | 'left' | 'expired';

export interface EnrollmentFacts {
	course: number;
	role: EnrollmentRole;
	status: EnrollmentStatus;
	/** Drivers return timestamps as Date, ISO string or epoch milliseconds (SQLite). */
	starts_at: Date | string | number | null;
	expires_at: Date | string | number | null;
}

export interface MembershipFacts {
	group: number;
	/** The group's course: a membership counts only while the enrollment in that course gives access. */
	course: number;
	role: MemberRole;
	status: MemberStatus;
}

/** An enrollment gives access when it is active, has started and has not expired. */
export function enrollmentGivesAccess(enrollment: Omit<EnrollmentFacts, 'course' | 'role'>, now: Date): boolean {
	if (enrollment.status !== 'active') return false;
	const startsAt = timeOf(enrollment.starts_at);
	const expiresAt = timeOf(enrollment.expires_at);
	if (startsAt !== null && startsAt > now.getTime()) return false;
	if (expiresAt !== null && expiresAt <= now.getTime()) return false;
	return true;
}

export function buildAccessScope(userId: string, memberships: MembershipFacts[], enrollments: EnrollmentFacts[], now: Date): AccessScope {
	const active = enrollments.filter((e) => enrollmentGivesAccess(e, now));
	const activeCourses = new Set(active.map((e) => Number(e.course)));
	// Dates take effect at their moment, not at the next membership sweep.
	memberships = memberships.filter((m) => activeCourses.has(Number(m.course)));
	return {
		userId,
		readableGroupIds: memberships.filter((m) => m.status === 'active' || m.status === 'muted').map((m) => m.group),
		moderatedGroupIds: memberships
			.filter((m) => m.status === 'active' && (m.role === 'instructor' || m.role === 'moderator'))
			.map((m) => m.group),
		taughtGroupIds: memberships.filter((m) => m.status === 'active' && m.role === 'instructor').map((m) => m.group),
		enrolledCourseIds: enrollments.map((e) => e.course),
		activeCourseIds: active.map((e) => e.course),
		taughtCourseIds: active.filter((e) => e.role === 'instructor' || e.role === 'ta').map((e) => e.course),
		gatedThreadIds: [],
	};
}
