import { describe, expect, it } from 'vitest';
import { asAdmin, createUser, enroll } from '../support/api.js';
import { communityFixture, errorCode } from '../support/community.js';

describe('participation report', () => {
	it('counts each student’s activity in the range, for the group’s instructors and admins only', async () => {
		const { course, group, instructor, students } = await communityFixture({ students: 3, group: { timezone: 'Europe/Berlin' } });
		const [alice, bob, carol] = students as [(typeof students)[0], (typeof students)[0], (typeof students)[0]];
		const admin = await asAdmin();
		// A name that a spreadsheet would run as a formula.
		await admin.ok('PATCH', `/users/${bob.id}`, { first_name: '=HYPERLINK("http://evil")' });

		const thread = await alice.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Q', body: 'question' });
		await bob.api.ok('POST', '/items/community_posts', { group: group.id, parent: thread.id, body: 'answer' });
		await bob.api.ok('POST', '/items/community_posts', { group: group.id, parent: thread.id, body: 'more' });
		await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'hi' });
		await bob.api.ok('POST', `/community/posts/${thread.id}/reactions`, { emoji: '👍' });
		await bob.api.ok('POST', `/community/posts/${thread.id}/view`);
		await instructor.api.ok('POST', '/items/community_posts', { group: group.id, parent: thread.id, body: 'teacher' });

		const report = await instructor.api.ok('GET', `/community/groups/${group.id}/participation`);
		expect(report).toMatchObject({ group: group.id, timezone: 'Europe/Berlin', from: null, to: null });
		const byUser = new Map<string, any>(report.students.map((row: any) => [row.user, row]));
		expect(byUser.size).toBe(3);
		expect(byUser.has(instructor.id)).toBe(false);
		expect(byUser.get(alice.id)).toMatchObject({
			threads_started: 1,
			replies: 0,
			messages: 1,
			reactions_given: 0,
			reactions_received: 1,
			active_days: 1,
			took_no_part: false,
		});
		expect(byUser.get(bob.id)).toMatchObject({ threads_started: 0, replies: 2, reactions_given: 1, posts_viewed: 1, active_days: 1 });
		expect(byUser.get(carol.id)).toMatchObject({ replies: 0, messages: 0, active_days: 0, first_activity: null, took_no_part: true });
		// The instructor here has no admin-app access: no e-mail.
		expect(byUser.get(alice.id).email).toBeNull();

		// A range before today counts nothing.
		const past = await instructor.api.ok('GET', `/community/groups/${group.id}/participation?from=2020-01-01&to=2020-12-31`);
		expect(past.students.every((row: any) => row.took_no_part)).toBe(true);
		expect(past.from).toBe('2019-12-31T23:00:00.000Z');

		// CSV for the gradebook: the admin sees e-mails; formulas are defused.
		const response = await fetch(`${admin.url}/community/groups/${group.id}/participation?format=csv`, {
			headers: { authorization: `Bearer ${admin.token}` },
		});
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
		expect(response.headers.get('content-disposition')).toContain(`participation-group-${group.id}.csv`);
		const lines = (await response.text()).trim().split('\r\n');
		expect(lines[0]).toMatch(/^user,email,first_name,last_name,member_status,threads_started,replies,messages/);
		expect(lines).toHaveLength(4);
		const bobLine = lines.find((line) => line.startsWith(bob.id))!;
		expect(bobLine).toContain(`"'=HYPERLINK(""http://evil"")"`);
		expect(bobLine).toContain(bob.email);

		// Students, moderators who are not instructors, and outsiders may not read it.
		const moderator = await createUser('Student', 'moderator');
		await enroll(moderator, course);
		await moderator.api.ok('POST', `/community/groups/${group.id}/join`);
		const [membership] = await admin.ok('GET', `/items/community_members?filter[group][_eq]=${group.id}&filter[user][_eq]=${moderator.id}`);
		await admin.ok('PATCH', `/items/community_members/${membership.id}`, { role: 'moderator' });
		const outsider = (await communityFixture({ students: 1 })).students[0]!;
		for (const [who, status, code] of [
			[alice, 403, 'NOT_INSTRUCTOR'],
			[moderator, 403, 'NOT_INSTRUCTOR'],
			[outsider, 403, 'FORBIDDEN'],
		] as const) {
			const refused = await who.api.get(`/community/groups/${group.id}/participation?format=csv`);
			expect([refused.status, errorCode(refused)]).toEqual([status, code]);
		}
	});

	it('counts a view and a message of the same course day as one active day, in the course’s zone', async () => {
		// UTC+14: for most of a UTC day the course's calendar day is already the next one.
		const zone = 'Pacific/Kiritimati';
		const { group, instructor, students } = await communityFixture({ students: 1, group: { timezone: zone } });
		const student = students[0]!;
		const courseDay = () => new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date());
		const thread = await instructor.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Q', body: 'question' });
		const before = courseDay();
		await student.api.ok('POST', `/community/posts/${thread.id}/view`);
		await student.api.ok('POST', '/items/community_messages', { group: group.id, body: 'hi' });
		const after = courseDay();

		const admin = await asAdmin();
		const [view] = await admin.ok('GET', `/items/community_post_views?filter[post][_eq]=${thread.id}&filter[user][_eq]=${student.id}`);
		expect([before, after]).toContain(String(view.day).slice(0, 10));
		const report = await instructor.api.ok('GET', `/community/groups/${group.id}/participation?from=${before}&to=${after}`);
		expect(report.timezone).toBe(zone);
		// The view's day and the message's moment fall on the same course day (unless that day ended in between).
		expect(report.students[0]).toMatchObject({ messages: 1, posts_viewed: 1, active_days: before === after ? 1 : 2 });
	});

	it('refuses bad ranges and formats', async () => {
		const { group, instructor } = await communityFixture({ students: 0 });
		for (const [query, status, code] of [
			['from=yesterday', 400, 'INVALID_PAYLOAD'],
			['from=2026-13-45', 400, 'INVALID_PAYLOAD'],
			['from=2026-05-02&to=2026-05-01', 400, 'INVALID_PAYLOAD'],
			['format=xlsx', 400, 'INVALID_PAYLOAD'],
			['user=x', 403, 'FIELD_NOT_ALLOWED'],
		] as const) {
			const response = await instructor.api.get(`/community/groups/${group.id}/participation?${query}`);
			expect([response.status, errorCode(response)], query).toEqual([status, code]);
		}
	});
});
