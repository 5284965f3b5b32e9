import type { Knex } from 'knex';
import { buildAccessScope, type AccessScope, type EnrollmentFacts, type MembershipFacts } from './scope.js';

/**
 * Loads a caller's access scope with two indexed reads (their memberships with each group's course, and their enrollments).
 * Called once per guarded query; nothing is cached, so a membership change applies to the very next
 * request on every instance.
 */
export async function loadAccessScope(knex: Knex, userId: string, now = new Date()): Promise<AccessScope> {
	const [memberships, enrollments] = await Promise.all([
		knex('community_members as m')
			.join('community_groups as g', 'g.id', 'm.group')
			.select('m.group as group', 'm.role as role', 'm.status as status', 'g.course as course')
			.where('m.user', userId),
		knex<EnrollmentFacts>('enrollments').select('course', 'role', 'status', 'starts_at', 'expires_at').where('user', userId),
	]);
	return buildAccessScope(userId, memberships as MembershipFacts[], enrollments as EnrollmentFacts[], now);
}
