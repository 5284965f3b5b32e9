import { describe, expect, it } from 'vitest';
import { asAdmin, type TestUser } from '../support/api.js';
import { communityFixture, errorCode, membershipOf } from '../support/community.js';

describe('moderation endpoints behind the Community module', () => {
	it("the queue holds the caller's groups only: pending posts and reported items, oldest first", async () => {
		const mine = await communityFixture({ students: 2, group: { require_post_approval: true } });
		const other = await communityFixture({ students: 1 });
		const [alice, bob] = mine.students as [TestUser, TestUser];
		const first = await alice.api.ok('POST', '/items/community_posts', { group: mine.group.id, title: 'First', body: 'one' });
		const second = await bob.api.ok('POST', '/items/community_posts', { group: mine.group.id, title: 'Second', body: 'two' });
		expect([first.status, second.status]).toEqual(['pending', 'pending']);

		const queue = await mine.instructor.api.ok('GET', '/community/moderation/queue');
		expect(queue.groups.map((g: any) => g.id)).toEqual([mine.group.id]);
		expect(queue.pending_posts.map((p: any) => p.id)).toEqual([first.id, second.id]);
		expect(queue.pending_posts[0].author).toMatchObject({ id: alice.id, first_name: 'student1', last_name: 'Tester' });

		const otherQueue = await other.instructor.api.ok('GET', `/community/moderation/queue?group=${mine.group.id}`);
		expect(otherQueue.pending_posts).toEqual([]);
		const asStudent = await alice.api.ok('GET', '/community/moderation/queue');
		expect(asStudent).toMatchObject({ groups: [], pending_posts: [], reported_items: [] });
		const badQuery = await mine.instructor.api.get('/community/moderation/queue?group=abc');
		expect([badQuery.status, errorCode(badQuery)]).toEqual([400, 'INVALID_PAYLOAD']);

		const admin = await asAdmin();
		const all = await admin.ok('GET', `/community/moderation/queue?course=${mine.course.id}`);
		// `groups` lists every group the caller moderates (the module's filter); the items follow the filter.
		expect(all.groups.map((g: any) => g.id)).toEqual(expect.arrayContaining([mine.group.id, other.group.id]));
		expect(all.pending_posts).toHaveLength(2);
	});

	it('members with enrollment state, for moderators only', async () => {
		const { group, students, instructor } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [TestUser, TestUser];
		const members = await instructor.api.ok<any[]>('GET', `/community/moderation/groups/${group.id}/members`);
		expect(members.map((m) => m.user.id).sort()).toEqual([alice.id, bob.id, instructor.id].sort());
		expect(members.find((m) => m.user.id === alice.id)).toMatchObject({
			role: 'student',
			status: 'active',
			enrollment: { role: 'student', status: 'active' },
		});
		const denied = await alice.api.get(`/community/moderation/groups/${group.id}/members`);
		expect([denied.status, errorCode(denied)]).toEqual([403, 'NOT_MODERATOR']);
		const outsider = await communityFixture({ students: 0 });
		const foreign = await outsider.instructor.api.get(`/community/moderation/groups/${group.id}/members`);
		expect([foreign.status, errorCode(foreign)]).toEqual([403, 'FORBIDDEN']);
	});

	it("activity: today's threads, replies and messages, and the students who took no part", async () => {
		const { group, students, instructor } = await communityFixture({ students: 3 });
		const [alice, bob, carol] = students as [TestUser, TestUser, TestUser];
		const thread = await alice.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Hi', body: 'hello' });
		await bob.api.ok('POST', '/items/community_posts', { group: group.id, parent: thread.id, body: 'reply' });
		for (const body of ['a', 'b']) await bob.api.ok('POST', '/items/community_messages', { group: group.id, body });
		const activity = await instructor.api.ok('GET', `/community/moderation/groups/${group.id}/activity?days=7`);
		expect(activity.days).toHaveLength(7);
		const today = new Date().toISOString().slice(0, 10);
		expect(activity.days.at(-1)).toEqual({ day: today, threads: 1, replies: 1, messages: 2 });
		expect(activity.days.slice(0, -1).every((d: any) => d.threads + d.replies + d.messages === 0)).toBe(true);
		expect(activity.participants).toBe(2);
		expect(activity.inactive_members.map((m: any) => m.user.id)).toEqual([carol.id]);
		const tooLong = await instructor.api.get(`/community/moderation/groups/${group.id}/activity?days=9999`);
		expect([tooLong.status, errorCode(tooLong)]).toEqual([400, 'INVALID_PAYLOAD']);
		expect((await membershipOf(group, carol)).status).toBe('active');
	});
});
