import { describe, expect, it } from 'vitest';
import { Api, asAdmin, createCourse, createGroup, createUser, directusUrl, enroll, eventually } from '../support/api.js';
import { communityFixture, errorCode, membershipOf } from '../support/community.js';

const hour = 3_600_000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe("joining a group: the seed's chain, in order", () => {
	it('401 without or with a bad token, then 403 with the reason, then 200', async () => {
		const admin = await asAdmin();
		const course = await createCourse();
		const group = await createGroup(course);
		const user = await createUser('Student', 'joiner');
		const join = () => user.api.post(`/community/groups/${group.id}/join`);

		const anonymous = await new Api(directusUrl()).post(`/community/groups/${group.id}/join`);
		expect([anonymous.status, errorCode(anonymous)]).toEqual([401, 'UNAUTHENTICATED']);
		const badToken = await new Api(directusUrl(), 'not-a-token').post(`/community/groups/${group.id}/join`);
		expect(badToken.status).toBe(401);

		expect(errorCode(await join())).toBe('NOT_ENROLLED');
		const enrollment = await enroll(user, course, { status: 'pending_payment' });
		expect(errorCode(await join())).toBe('ENROLLMENT_INACTIVE');
		await admin.ok('PATCH', `/items/enrollments/${enrollment.id}`, { status: 'active', starts_at: at(hour) });
		expect(errorCode(await join())).toBe('ENROLLMENT_INACTIVE');
		await admin.ok('PATCH', `/items/enrollments/${enrollment.id}`, { starts_at: at(-2 * hour), expires_at: at(-hour) });
		const expired = await join();
		expect([expired.status, errorCode(expired)]).toEqual([403, 'ENROLLMENT_EXPIRED']);
		await admin.ok('PATCH', `/items/enrollments/${enrollment.id}`, { expires_at: at(24 * hour) });
		await admin.ok('PATCH', `/items/community_groups/${group.id}`, { status: 'archived' });
		expect(errorCode(await join())).toBe('GROUP_ARCHIVED');
		await admin.ok('PATCH', `/items/community_groups/${group.id}`, { status: 'active' });

		const joined = await join();
		expect(joined.status).toBe(200);
		expect(joined.body.data).toMatchObject({ joined: true, member: { role: 'student', status: 'active' } });
		const again = await join();
		expect(again.body.data).toMatchObject({ joined: false, member: { id: joined.body.data.member.id } });

		const member = await membershipOf(group, user);
		await admin.ok('PATCH', `/items/community_members/${member.id}`, { status: 'banned' });
		expect(errorCode(await join())).toBe('MEMBER_BANNED');
		const unknown = await user.api.post('/community/groups/999999/join');
		expect(unknown.status).toBe(403);
		const malformed = await user.api.post('/community/groups/abc/join');
		expect([malformed.status, errorCode(malformed)]).toEqual([400, 'INVALID_PAYLOAD']);
	});

	it('leaving and rejoining; concurrent joins make one membership', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const [student] = students as [(typeof students)[0]];
		const left = await student.api.post(`/community/groups/${group.id}/leave`);
		expect(left.body.data.status).toBe('left');
		expect(await student.api.ok('GET', '/items/community_posts')).toEqual([]);
		const results = await Promise.all(Array.from({ length: 5 }, () => student.api.post(`/community/groups/${group.id}/join`)));
		expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
		const admin = await asAdmin();
		const rows = await admin.ok<any[]>('GET', `/items/community_members?filter[group][_eq]=${group.id}&filter[user][_eq]=${student.id}`);
		expect(rows).toHaveLength(1);
		expect(rows[0].status).toBe('active');
		const groupRow = await admin.ok('GET', `/items/community_groups/${group.id}`);
		expect(groupRow.member_count).toBe(2);
	});
});

describe('memberships follow enrollments', () => {
	it('every new course gets its group; teachers become instructor members, students do not', async () => {
		const course = await createCourse();
		const group = await createGroup(course);
		const teacher = await createUser('Student', 'ta');
		const student = await createUser('Student', 'pupil');
		await enroll(teacher, course, { role: 'ta' });
		await enroll(student, course);
		expect(await membershipOf(group, teacher)).toMatchObject({ role: 'instructor', status: 'active' });
		expect(await membershipOf(group, student)).toBeUndefined();
	});

	it('cancelling, suspending or deleting an enrollment ends access at once; re-activating brings it back', async () => {
		const admin = await asAdmin();
		const { course, group, students } = await communityFixture({ students: 1 });
		const student = students[0]!;
		const [enrollment] = await admin.ok<any[]>(
			'GET',
			`/items/enrollments?filter[user][_eq]=${student.id}&filter[course][_eq]=${course.id}`,
		);
		for (const status of ['cancelled', 'suspended']) {
			await admin.ok('PATCH', `/items/enrollments/${enrollment.id}`, { status });
			expect((await membershipOf(group, student)).status).toBe('expired');
			expect(await student.api.ok('GET', '/items/community_members')).toEqual([]);
			await admin.ok('PATCH', `/items/enrollments/${enrollment.id}`, { status: 'active' });
			expect((await membershipOf(group, student)).status).toBe('active');
		}
		await admin.ok('DELETE', `/items/enrollments/${enrollment.id}`);
		expect((await membershipOf(group, student)).status).toBe('expired');
	});

	it('the schedule expires memberships whose enrollment ran out by date', async () => {
		const admin = await asAdmin();
		const { course, group, students } = await communityFixture({ students: 1 });
		const student = students[0]!;
		const [enrollment] = await admin.ok<any[]>(
			'GET',
			`/items/enrollments?filter[user][_eq]=${student.id}&filter[course][_eq]=${course.id}`,
		);
		await admin.ok('PATCH', `/items/enrollments/${enrollment.id}`, { expires_at: at(1_500) });
		expect((await membershipOf(group, student)).status).toBe('active');
		await eventually(async () => (await membershipOf(group, student)).status === 'expired', 10_000);
	});
});

describe('instructors manage members', () => {
	it('mute, ban, unban and promote to moderator; students cannot; members set their own notify', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const aliceMember = await membershipOf(group, alice);
		const patch = (who: typeof alice, body: object) => who.api.patch(`/items/community_members/${aliceMember.id}`, body);

		expect(errorCode(await patch(bob, { status: 'muted' }))).toBe('NOT_INSTRUCTOR');
		expect(errorCode(await patch(bob, { notify: 'none' }))).toBe('NOT_OWNER');
		expect((await patch(alice, { notify: 'mentions' })).status).toBe(200);
		expect(errorCode(await patch(alice, { role: 'moderator' }))).toBe('NOT_INSTRUCTOR');
		for (const status of ['muted', 'banned', 'active']) {
			const response = await patch(instructor, { status });
			expect(response.status, status).toBe(200);
			expect((await membershipOf(group, alice)).status).toBe(status);
		}
		expect((await patch(instructor, { role: 'moderator' })).status).toBe(200);
		const admin = await asAdmin();
		// Instructor, alice and bob; a ban takes alice out of the count.
		expect((await admin.ok('GET', `/items/community_groups/${group.id}`)).member_count).toBe(3);
		await patch(instructor, { status: 'banned' });
		await eventually(async () => (await admin.ok('GET', `/items/community_groups/${group.id}`)).member_count === 2);
		await patch(instructor, { status: 'active' });
		expect(errorCode(await patch(instructor, { status: 'left' }))).toBe('INVALID_PAYLOAD');
		expect(errorCode(await patch(instructor, { group: 1 }))).toBe('FIELD_NOT_ALLOWED');
		const instructorMember = await membershipOf(group, instructor);
		expect((await alice.api.patch(`/items/community_members/${instructorMember.id}`, { status: 'banned' })).status).toBe(403);
	});
});
