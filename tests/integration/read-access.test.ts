import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, Api, asAdmin, createCourse, createGroup, createUser, directusUrl, enroll, ids, type TestUser } from '../support/api.js';

/**
 * The read side of docs/access.md, checked with real logins over real HTTP: each person gets exactly the
 * rows the table says on plain /items reads, and nothing more through nested fields, filters or counts.
 */
describe('reads through plain Directus REST', () => {
	let admin: Api;
	let student: TestUser,
		author: TestUser,
		instructor: TestUser,
		outsider: TestUser,
		expired: TestUser,
		notJoined: TestUser,
		noRole: TestUser;
	const row: Record<string, number> = {};
	const owned: Record<string, number[]> = {};

	beforeAll(async () => {
		admin = await asAdmin();
		[student, author, instructor, outsider, expired, notJoined, noRole] = await Promise.all([
			createUser('Student', 'student'),
			createUser('Student', 'author'),
			createUser('Instructor', 'instructor'),
			createUser('Student', 'outsider'),
			createUser('Student', 'expired'),
			createUser('Student', 'notjoined'),
			createUser(null, 'norole'),
		]);
		const [courseA, courseB] = await Promise.all([createCourse(), createCourse()]);
		row.courseA = courseA.id;
		row.courseB = courseB.id;
		const [groupA, groupB] = await Promise.all([createGroup(courseA), createGroup(courseB)]);
		row.groupA = groupA.id;
		row.groupB = groupB.id;

		const past = new Date(Date.now() - 86_400_000).toISOString();
		owned.enrollmentsA = [
			(await enroll(student, courseA)).id,
			(await enroll(author, courseA)).id,
			(await enroll(instructor, courseA, { role: 'instructor' })).id,
			(await enroll(expired, courseA, { expires_at: past })).id,
			(await enroll(notJoined, courseA)).id,
		];
		row.studentEnrollment = owned.enrollmentsA[0]!;
		row.outsiderEnrollment = (await enroll(outsider, courseB)).id;

		owned.membersA = [
			(await addMember(groupA, student)).id,
			(await addMember(groupA, author)).id,
			(await addMember(groupA, instructor, { role: 'instructor' })).id,
			(await addMember(groupA, expired, { status: 'expired' })).id,
		];
		owned.membersB = [(await addMember(groupB, outsider)).id];

		const post = (data: Record<string, unknown>) => admin.ok<{ id: number }>('POST', '/items/community_posts', data).then((p) => p.id);
		row.published = await post({ group: groupA.id, author: instructor.id, title: 'Welcome', body: 'Hello class', status: 'published' });
		row.reply = await post({ group: groupA.id, author: student.id, parent: row.published, body: 'Thanks', status: 'published' });
		row.pending = await post({ group: groupA.id, author: author.id, title: 'Waiting', body: 'Pending post', status: 'pending' });
		row.studentDraft = await post({ group: groupA.id, author: student.id, title: 'Draft', body: 'Not yet', status: 'draft' });
		row.deleted = await post({ group: groupA.id, author: author.id, title: 'Gone', body: 'Deleted', status: 'deleted' });
		row.postB = await post({ group: groupB.id, author: outsider.id, title: 'Other course', body: 'B', status: 'published' });

		row.reaction = (await admin.ok('POST', '/items/community_post_reactions', { post: row.published, user: student.id, emoji: '👍' })).id;
		row.reactionOnPending = (
			await admin.ok('POST', '/items/community_post_reactions', { post: row.pending, user: instructor.id, emoji: '👀' })
		).id;
		row.messageA = (await admin.ok('POST', '/items/community_messages', { group: groupA.id, sender: student.id, body: 'hi A' })).id;
		row.messageB = (await admin.ok('POST', '/items/community_messages', { group: groupB.id, sender: outsider.id, body: 'hi B' })).id;
		row.messageReactionA = (
			await admin.ok('POST', '/items/community_message_reactions', { message: row.messageA, user: student.id, emoji: '👍' })
		).id;
		row.messageReactionB = (
			await admin.ok('POST', '/items/community_message_reactions', { message: row.messageB, user: outsider.id, emoji: '🎉' })
		).id;
		row.receiptA = (
			await admin.ok('POST', '/items/community_message_receipts', {
				group: groupA.id,
				user: student.id,
				last_read_message: row.messageA,
				last_read_seq: 1,
			})
		).id;
		row.receiptB = (
			await admin.ok('POST', '/items/community_message_receipts', {
				group: groupB.id,
				user: outsider.id,
				last_read_message: row.messageB,
				last_read_seq: 1,
			})
		).id;
		row.notifyStudent = (
			await admin.ok('POST', '/items/community_notifications', {
				recipient: student.id,
				actor: instructor.id,
				group: groupA.id,
				type: 'post_reply',
				post: row.published,
			})
		).id;
		row.notifyOutsider = (
			await admin.ok('POST', '/items/community_notifications', {
				recipient: outsider.id,
				group: groupB.id,
				type: 'mention',
				post: row.postB,
			})
		).id;
	});

	// The Core licence has three seats; existence.test.ts needs one for its own Instructor-role user.
	afterAll(async () => {
		if (instructor) await admin.ok('PATCH', `/users/${instructor.id}`, { status: 'suspended' });
	});

	const list = async (user: TestUser, collection: string, extra = '') => {
		const response = await user.api.get(`/items/${collection}?fields=id&limit=200${extra}`);
		expect(response.status, JSON.stringify(response.body)).toBe(200);
		return ids(response.body.data);
	};
	const mine = (values: number[]) => (all: number[]) => all.filter((id) => values.includes(id)).sort((a, b) => a - b);

	it('a student sees their course, their enrollment and their group', async () => {
		expect(mine([row.courseA!, row.courseB!])(await list(student, 'courses'))).toEqual([row.courseA]);
		expect(await list(student, 'enrollments')).toEqual([row.studentEnrollment]);
		expect(mine([row.groupA!, row.groupB!])(await list(student, 'community_groups'))).toEqual([row.groupA]);
		expect(await list(student, 'community_members')).toEqual([...owned.membersA!].sort((a, b) => a - b));
	});

	it('a student sees published posts, their own draft, and neither pending posts of others nor deleted ones', async () => {
		expect(await list(student, 'community_posts')).toEqual([row.published, row.reply, row.studentDraft].sort((a, b) => a! - b!));
	});

	it('an author sees their own pending post; the group instructor sees it to moderate it', async () => {
		expect(await list(author, 'community_posts')).toEqual([row.published, row.reply, row.pending].sort((a, b) => a! - b!));
		expect(await list(instructor, 'community_posts')).toEqual([row.published, row.reply, row.pending].sort((a, b) => a! - b!));
	});

	it('reactions, messages, read markers and notifications stay inside the group and the recipient', async () => {
		expect(await list(student, 'community_post_reactions')).toEqual([row.reaction]);
		expect(await list(student, 'community_messages')).toEqual([row.messageA]);
		expect(await list(student, 'community_message_reactions')).toEqual([row.messageReactionA]);
		expect(await list(outsider, 'community_message_reactions')).toEqual([row.messageReactionB]);
		expect(await list(student, 'community_message_receipts')).toEqual([row.receiptA]);
		expect(await list(student, 'community_notifications')).toEqual([row.notifyStudent]);
		expect(await list(outsider, 'community_messages')).toEqual([row.messageB]);
		expect(await list(outsider, 'community_notifications')).toEqual([row.notifyOutsider]);
	});

	it('an instructor sees every enrollment of the course they teach', async () => {
		const all = await list(instructor, 'enrollments');
		expect(all).toEqual([...owned.enrollmentsA!].sort((a, b) => a - b));
	});

	it("another group's ids answer as if they did not exist", async () => {
		for (const [collection, id] of [
			['community_posts', row.postB],
			['community_messages', row.messageB],
			['community_message_reactions', row.messageReactionB],
			['community_groups', row.groupB],
			['community_notifications', row.notifyOutsider],
			['community_message_receipts', row.receiptB],
			['enrollments', row.outsiderEnrollment],
		] as const) {
			const response = await student.api.get(`/items/${collection}/${id}`);
			expect(response.status, `${collection} ${id}`).toBe(403);
			expect(response.body.errors[0].extensions.code).toBe('FORBIDDEN');
		}
		const missing = await student.api.get('/items/community_posts/999999999');
		expect(missing.status).toBe(403);
	});

	it('an expired member reads nothing of the group; an enrolled non-member finds the group but not its content', async () => {
		expect(mine([row.groupA!])(await list(expired, 'community_groups'))).toEqual([]);
		expect(await list(expired, 'community_posts')).toEqual([]);
		expect(await list(expired, 'community_messages')).toEqual([]);
		expect(mine([row.groupA!])(await list(notJoined, 'community_groups'))).toEqual([row.groupA]);
		expect(await list(notJoined, 'community_posts')).toEqual([]);
		expect(await list(notJoined, 'community_members')).toEqual([]);
	});

	it('a user with no role and an anonymous caller are refused on every collection', async () => {
		const anonymous = new Api(directusUrl());
		for (const collection of [
			'courses',
			'enrollments',
			'community_groups',
			'community_members',
			'community_posts',
			'community_post_reactions',
			'community_messages',
			'community_message_reactions',
			'community_message_receipts',
			'community_notifications',
		]) {
			for (const caller of [noRole.api, anonymous]) {
				const response = await caller.get(`/items/${collection}`);
				expect(response.status, `${collection} as ${caller.token ? 'no role' : 'anonymous'}`).toBe(403);
			}
		}
	});

	it('nested one-to-many fields carry the same row filter', async () => {
		const group = (await student.api.get(`/items/community_groups/${row.groupA}?fields=posts.id,posts.status,members.id,messages.id`)).body
			.data;
		expect(ids(group.posts)).toEqual([row.published, row.reply, row.studentDraft].sort((a, b) => a! - b!));
		expect(ids(group.members)).toEqual([...owned.membersA!].sort((a, b) => a - b));
		const wildcard = (await student.api.get(`/items/community_groups/${row.groupA}?fields=*`)).body.data;
		expect([...wildcard.posts].sort((a: number, b: number) => a - b)).toEqual(
			[row.published, row.reply, row.studentDraft].sort((a, b) => a! - b!),
		);
		const course = (await student.api.get(`/items/courses/${row.courseA}?fields=enrollments.id`)).body.data;
		expect(ids(course.enrollments)).toEqual([row.studentEnrollment]);
		const thread = (await student.api.get(`/items/community_posts/${row.published}?fields=replies.id,reactions.id,group.posts.id`)).body
			.data;
		expect(ids(thread.replies)).toEqual([row.reply]);
		expect(ids(thread.group.posts)).toEqual([row.published, row.reply, row.studentDraft].sort((a, b) => a! - b!));
	});

	it('a percent-encoded collection name and aliases on any route are refused, not waved through', async () => {
		const refused = async (caller: TestUser, path: string) => {
			const response = await caller.api.get(path);
			return [response.status, response.body?.errors?.[0]?.extensions?.code];
		};
		expect(await refused(student, '/items/community%5Fmessages?meta=total_count')).toEqual([403, 'QUERY_NOT_ALLOWED']);
		expect(await refused(student, '/items/%63ommunity_posts?alias[a]=author&fields=a.email')).toEqual([403, 'QUERY_NOT_ALLOWED']);
		const listed = await student.api.get(`/items/community%5Fmessages?fields=id&limit=200`);
		const plain = await student.api.get(`/items/community_messages?fields=id&limit=200`);
		expect(listed.body).toEqual(plain.body);
		expect(await refused(instructor, '/roles?alias[u]=users&fields=u.email')).toEqual([403, 'QUERY_NOT_ALLOWED']);
		expect(await refused(instructor, '/users/me?alias[r]=role&fields=r.users.email')).toEqual([403, 'QUERY_NOT_ALLOWED']);
		const foreign = await student.api.get(`/permissions/me/community%5Fposts/${row.postB}`);
		const missing = await student.api.get('/permissions/me/community%5Fposts/999999');
		expect(missing.status).toBe(403);
		expect([foreign.status, foreign.body]).toEqual([missing.status, missing.body]);
	});

	it('filters and counts through hidden rows are refused with QUERY_NOT_ALLOWED', async () => {
		for (const query of [
			`/items/community_groups?filter[posts][status][_eq]=pending`,
			`/items/community_groups?fields=count(posts)`,
			`/items/courses?filter[enrollments][user][_eq]=${outsider.id}`,
			`/items/community_posts?alias[x]=group`,
		]) {
			const response = await student.api.get(query);
			expect(response.status, query).toBe(403);
			expect(response.body.errors[0].extensions.code, query).toBe('QUERY_NOT_ALLOWED');
		}
	});

	it("students see other people's public profile only, and their own record in full", async () => {
		const authors = (await student.api.get(`/items/community_posts/${row.published}?fields=author.first_name,author.id`)).body.data;
		expect(authors.author).toEqual({ id: instructor.id, first_name: 'instructor' });
		const email = await student.api.get(`/items/community_posts/${row.published}?fields=author.email`);
		expect(email.status).toBe(403);
		expect(email.body.errors[0].extensions.code).toBe('QUERY_NOT_ALLOWED');
		const wildcard = (await student.api.get(`/items/community_posts/${row.published}?fields=author.*`)).body.data;
		expect(Object.keys(wildcard.author).sort()).toEqual(['avatar', 'first_name', 'id', 'last_name', 'status', 'title']);
		const other = (await student.api.get(`/users/${instructor.id}`)).body.data;
		expect(other.email).toBeUndefined();
		expect(other.first_name).toBe('instructor');
		const me = (await student.api.get('/users/me')).body.data;
		expect(me.email).toBe(student.email);
	});

	it('admins see everything, including deleted and pending posts', async () => {
		const all = ids((await admin.get(`/items/community_posts?fields=id&limit=200&filter[group][_eq]=${row.groupA}`)).body.data);
		expect(all).toEqual([row.published, row.reply, row.pending, row.studentDraft, row.deleted].sort((a, b) => a! - b!));
	});
});
