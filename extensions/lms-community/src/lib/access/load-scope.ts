import type { Knex } from 'knex';
import { flag } from '../rules/facts.js';
import { loadGatedThreadIds } from '../rules/reply-gate.js';
import { buildAccessScope, type AccessScope, type EnrollmentFacts, type MembershipFacts } from './scope.js';

/**
 * Loads a caller's access scope with two indexed reads (their memberships with each group's course, and their
 * enrollments), and one or two more for the threads they may not read the replies of yet.
 * Called once per guarded query; nothing is cached, so a membership change applies to the very next
 * request on every instance.
 */
export async function loadAccessScope(knex: Knex, userId: string, now = new Date()): Promise<AccessScope> {
	const [memberships, enrollments] = await Promise.all([
		knex('community_members as m')
			.join('community_groups as g', 'g.id', 'm.group')
			.select('m.group as group', 'm.role as role', 'm.status as status', 'g.course as course', 'g.post_before_replies as gated')
			.where('m.user', userId),
		knex<EnrollmentFacts>('enrollments').select('course', 'role', 'status', 'starts_at', 'expires_at').where('user', userId),
	]);
	const scope = buildAccessScope(userId, memberships as MembershipFacts[], enrollments as EnrollmentFacts[], now);
	const moderated = new Set(scope.moderatedGroupIds);
	const readAsStudent = (memberships as Array<MembershipFacts & { gated: unknown }>)
		.filter((m) => scope.readableGroupIds.includes(m.group) && !moderated.has(m.group))
		.map((m) => ({ id: m.group, gated: flag(m.gated as boolean | number) }));
	return { ...scope, gatedThreadIds: await loadGatedThreadIds(knex, userId, readAsStudent) };
}
