import { courseTimeZone } from '../domain/course-rules.js';
import { COUNTERS, nextDay, startOfDayIn, summariseActivity, type Counter, type ParticipationRow } from '../domain/participation.js';
import type { SignedInCaller } from '../rules/caller.js';
import { timeOf } from '../rules/clock.js';
import { assertInstructor } from '../rules/facts.js';
import type { ParticipationQuery } from '../rules/schemas.js';
import { loadVisibleGroup } from '../rules/visibility.js';
import type { CommunityContext } from './context.js';

/** A `date` column as YYYY-MM-DD: text on SQLite, a Date at local midnight from node-postgres. */
function dayString(value: unknown): string {
	if (!(value instanceof Date)) return String(value).slice(0, 10);
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}

export interface ParticipationReport {
	group: number;
	timezone: string;
	/** The range as instants (from inclusive, to exclusive); null: open. */
	from: string | null;
	to: string | null;
	students: Array<ParticipationRow & { took_no_part: boolean }>;
}

/**
 * GET /community/groups/:id/participation: per student of the group, what they did in the range, for the
 * group's instructors and admins. Days (`from`, `to`, active days) are the course's, in the group's time zone.
 * The group's rows are read once per kind and counted here: one pass, the same on SQLite and PostgreSQL
 * (SQLite stores timestamps in two forms, which SQL ranges would have to reconcile).
 */
export async function participationReport(
	context: CommunityContext,
	caller: SignedInCaller,
	groupId: number,
	query: ParticipationQuery,
): Promise<ParticipationReport> {
	const knex = context.database;
	const member = await loadVisibleGroup(knex, groupId, caller.userId, caller.admin);
	assertInstructor(member);
	const timeZone = courseTimeZone(member.group.timezone);
	const from = query.from ? startOfDayIn(query.from, timeZone).getTime() : null;
	const to = query.to ? startOfDayIn(nextDay(query.to), timeZone).getTime() : null;
	const inRange = (at: unknown) => {
		const time = timeOf(at);
		return time !== null && (from === null || time >= from) && (to === null || time < to);
	};
	const dayInRange = (day: string) => (!query.from || day >= query.from) && (!query.to || day <= query.to);

	const students: Array<{ user: string; status: string; first_name: string | null; last_name: string | null; email: string | null }> =
		await knex('community_members as m')
			.join('directus_users as u', 'u.id', 'm.user')
			.where({ 'm.group': groupId, 'm.role': 'student' })
			.select('m.user', 'm.status', 'u.first_name', 'u.last_name', 'u.email')
			.orderBy([{ column: 'u.last_name' }, { column: 'u.first_name' }, { column: 'm.user' }]);
	const [posts, messages, reactions, views] = await Promise.all([
		knex('community_posts').where({ group: groupId, status: 'published' }).select('author', 'parent', 'date_created'),
		knex('community_messages').where({ group: groupId }).whereNull('deleted_at').select('sender', 'date_created'),
		knex('community_post_reactions as r')
			.join('community_posts as p', 'p.id', 'r.post')
			.where('p.group', groupId)
			.select('r.user', 'p.author', 'r.date_created'),
		knex('community_post_views as v')
			.join('community_posts as p', 'p.id', 'v.post')
			.where('p.group', groupId)
			.select('v.user', 'v.post', 'v.day'),
	]);

	const rows = new Map(
		students.map((s) => [
			s.user,
			{
				counts: Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>,
				moments: [] as unknown[],
				viewDays: [] as string[],
				viewed: new Set<number>(),
			},
		]),
	);
	const count = (user: string | null, counter: Counter, at: unknown, activity = true) => {
		const row = user ? rows.get(user) : undefined;
		if (!row || !inRange(at)) return;
		row.counts[counter]++;
		if (activity) row.moments.push(at);
	};
	for (const post of posts) count(post.author, post.parent === null ? 'threads_started' : 'replies', post.date_created);
	for (const message of messages) count(message.sender, 'messages', message.date_created);
	for (const reaction of reactions) {
		count(reaction.user, 'reactions_given', reaction.date_created);
		// Receiving is not the student's own activity; reactions to one's own post are not "received".
		if (reaction.author !== reaction.user) count(reaction.author, 'reactions_received', reaction.date_created, false);
	}
	for (const view of views) {
		const row = rows.get(view.user);
		const day = dayString(view.day);
		if (!row || !dayInRange(day)) continue;
		row.viewed.add(Number(view.post));
		row.viewDays.push(day);
	}

	// E-mail is for admins and instructors with admin-app access (docs/access.md): the gradebook matches on it.
	const seesEmail = caller.admin || caller.app;
	return {
		group: groupId,
		timezone: timeZone,
		from: from === null ? null : new Date(from).toISOString(),
		to: to === null ? null : new Date(to).toISOString(),
		students: students.map((student) => {
			const row = rows.get(student.user)!;
			const counts = { ...row.counts, posts_viewed: row.viewed.size };
			const summary = summariseActivity({ moments: row.moments, viewDays: row.viewDays }, timeZone);
			return {
				user: student.user,
				first_name: student.first_name,
				last_name: student.last_name,
				email: seesEmail ? student.email : null,
				member_status: student.status,
				...counts,
				...summary,
				took_no_part: COUNTERS.every((c) => counts[c] === 0) && summary.active_days === 0,
			};
		}),
	};
}
