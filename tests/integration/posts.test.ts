import { describe, expect, it } from 'vitest';
import { asAdmin, eventually } from '../support/api.js';
import { communityFixture, errorCode, membershipOf, notificationsOf } from '../support/community.js';

const thread = (groupId: number, extra: object = {}) => ({ group: groupId, title: 'A question', body: 'What about **this**?', ...extra });

describe('posts over plain REST', () => {
	it('the author is always the caller; server-owned fields are refused', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const created = await alice.api.post('/items/community_posts', thread(group.id, { author: alice.id }));
		expect(created.status).toBe(200);
		expect(created.body.data).toMatchObject({ author: alice.id, status: 'published', reply_count: 0, view_count: 0 });
		expect(Boolean(created.body.data.pinned)).toBe(false);
		for (const field of [
			{ author: bob.id },
			{ status: 'pending' },
			{ pinned: true },
			{ locked: true },
			{ view_count: 9 },
			{ reply_count: 3 },
			{ moderated_by: bob.id },
			{ reaction_counts: { '👍': 9 } },
		]) {
			const response = await alice.api.post('/items/community_posts', thread(group.id, field));
			expect([response.status, errorCode(response)], JSON.stringify(field)).toEqual([403, 'FIELD_NOT_ALLOWED']);
		}
		const count = await alice.api.ok<any[]>('GET', `/items/community_posts?filter[group][_eq]=${group.id}`);
		expect(count).toHaveLength(1);
	});

	it('refuses bad and hostile input with 4xx codes and writes nothing', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const cases: Array<[object, number, string]> = [
			[{ group: 'abc', title: 't', body: 'b' }, 400, 'INVALID_PAYLOAD'],
			[{ group: group.id, title: 't' }, 400, 'INVALID_PAYLOAD'],
			[{ group: group.id, title: 't', body: '   ' }, 400, 'INVALID_PAYLOAD'],
			[{ group: group.id, title: 't', body: 42 }, 400, 'INVALID_PAYLOAD'],
			[{ group: group.id, body: 'no title' }, 400, 'INVALID_PAYLOAD'],
			[{ group: group.id, title: 't', body: 'x'.repeat(20_001) }, 400, 'BODY_TOO_LONG'],
			[{ group: group.id, title: 'x'.repeat(201), body: 'b' }, 400, 'INVALID_PAYLOAD'],
			[{ group: group.id, parent: 999999, body: 'b' }, 400, 'INVALID_REFERENCE'],
			[{ group: 999999, title: 't', body: 'b' }, 403, 'FORBIDDEN'],
		];
		for (const [body, status, code] of cases) {
			const response = await alice.api.post('/items/community_posts', body);
			expect([response.status, errorCode(response)], JSON.stringify(body).slice(0, 80)).toEqual([status, code]);
		}
		const hostile = await alice.api.ok(
			'POST',
			'/items/community_posts',
			thread(group.id, { body: '<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))' }),
		);
		expect(hostile.body).not.toMatch(/<script|<img|\(javascript:/i);
		expect(hostile.body).toContain('unsafe-javascript:');
		expect(await alice.api.ok<any[]>('GET', `/items/community_posts?filter[group][_eq]=${group.id}`)).toHaveLength(1);
	});

	it('replies: to a published thread of the same group, not a locked one; reply_count stays exact under parallel replies', async () => {
		const { group, instructor, students } = await communityFixture({ students: 4 });
		const other = await communityFixture({ students: 1 });
		const starter = await instructor.api.ok('POST', '/items/community_posts', thread(group.id));
		const replies = await Promise.all(
			students.flatMap((student) =>
				[1, 2].map((n) => student.api.post('/items/community_posts', { group: group.id, parent: starter.id, body: `reply ${n}` })),
			),
		);
		expect(replies.map((r) => r.status)).toEqual(Array(8).fill(200));
		const admin = await asAdmin();
		expect((await admin.ok('GET', `/items/community_posts/${starter.id}`)).reply_count).toBe(8);

		const foreign = await other.students[0]!.api.post('/items/community_posts', {
			group: other.group.id,
			parent: starter.id,
			body: 'sneaky',
		});
		expect(errorCode(foreign)).toBe('INVALID_REFERENCE');
		const nested = await students[0]!.api.post('/items/community_posts', {
			group: group.id,
			parent: replies[0]!.body.data.id,
			body: 'nested',
		});
		expect(errorCode(nested)).toBe('INVALID_REFERENCE');

		expect((await students[0]!.api.post(`/community/posts/${starter.id}/lock`)).status).toBe(403);
		expect((await instructor.api.post(`/community/posts/${starter.id}/lock`)).body.data.locked).toBe(true);
		const locked = await students[0]!.api.post('/items/community_posts', { group: group.id, parent: starter.id, body: 'late' });
		expect([locked.status, errorCode(locked)]).toEqual([403, 'THREAD_LOCKED']);
		expect(
			(await instructor.api.post('/items/community_posts', { group: group.id, parent: starter.id, body: 'closing note' })).status,
		).toBe(200);
		await instructor.api.post(`/community/posts/${starter.id}/unlock`);
		expect((await students[0]!.api.post('/items/community_posts', { group: group.id, parent: starter.id, body: 'after' })).status).toBe(
			200,
		);
		expect((await instructor.api.post(`/community/posts/${starter.id}/pin`)).body.data.pinned).toBe(true);
		const deleteReply = await students[0]!.api.patch(`/items/community_posts/${replies[0]!.body.data.id}`, { status: 'deleted' });
		expect(deleteReply.status).toBe(204);
		expect((await admin.ok('GET', `/items/community_posts/${starter.id}`)).reply_count).toBe(9);
	});

	it('students start threads only where the group allows it', async () => {
		const { group, instructor, students } = await communityFixture({ students: 1, group: { allow_student_posts: false } });
		const refused = await students[0]!.api.post('/items/community_posts', thread(group.id));
		expect([refused.status, errorCode(refused)]).toEqual([403, 'STUDENT_POSTS_DISABLED']);
		expect((await instructor.api.post('/items/community_posts', thread(group.id))).status).toBe(200);
	});

	it("muted, banned, former and foreign members cannot post; another group's ids are refused", async () => {
		const { group, instructor, students } = await communityFixture({ students: 3 });
		const [muted, banned, leaver] = students as [(typeof students)[0], (typeof students)[0], (typeof students)[0]];
		await instructor.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, muted)).id}`, { status: 'muted' });
		await instructor.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, banned)).id}`, { status: 'banned' });
		await leaver.api.post(`/community/groups/${group.id}/leave`);
		expect(errorCode(await muted.api.post('/items/community_posts', thread(group.id)))).toBe('MEMBER_MUTED');
		expect(errorCode(await banned.api.post('/items/community_posts', thread(group.id)))).toBe('MEMBER_BANNED');
		expect(errorCode(await leaver.api.post('/items/community_posts', thread(group.id)))).toBe('NOT_A_MEMBER');
		const other = await communityFixture({ students: 1 });
		const otherPost = await other.instructor.api.ok('POST', '/items/community_posts', thread(other.group.id));
		const outsider = students[0]!;
		expect((await outsider.api.get(`/items/community_posts/${otherPost.id}`)).status).toBe(403);
		expect((await outsider.api.patch(`/items/community_posts/${otherPost.id}`, { body: 'mine now' })).status).toBe(403);
		expect(errorCode(await instructor.api.post(`/community/posts/${otherPost.id}/approve`))).toBe('FORBIDDEN');
		expect((await outsider.api.post(`/community/posts/${otherPost.id}/view`)).status).toBe(403);
		expect((await outsider.api.post(`/community/posts/${otherPost.id}/reactions`, { emoji: '👍' })).status).toBe(403);
	});

	it('edits mark edited_at; authors delete softly; instructors delete any post; others cannot', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const post = await alice.api.ok('POST', '/items/community_posts', thread(group.id));
		expect(post.edited_at).toBeNull();
		const edited = await alice.api.ok('PATCH', `/items/community_posts/${post.id}`, { body: 'Edited <b>text</b>' });
		expect(edited.edited_at).not.toBeNull();
		expect(edited.body).toBe('Edited &lt;b>text&lt;/b>');
		expect(errorCode(await bob.api.patch(`/items/community_posts/${post.id}`, { body: 'hijack' }))).toBe('FORBIDDEN');
		expect(errorCode(await bob.api.patch(`/items/community_posts/${post.id}`, { status: 'deleted' }))).toBe('FORBIDDEN');
		expect(errorCode(await instructor.api.patch(`/items/community_posts/${post.id}`, { body: 'rewritten' }))).toBe('NOT_OWNER');
		expect(errorCode(await alice.api.patch(`/items/community_posts/${post.id}`, { view_count: 100 }))).toBe('FIELD_NOT_ALLOWED');
		// A deleted post is no longer readable, so Directus answers the update with 204 No Content.
		expect((await instructor.api.patch(`/items/community_posts/${post.id}`, { status: 'deleted' })).status).toBe(204);
		expect((await alice.api.get(`/items/community_posts/${post.id}`)).status).toBe(403);
		const own = await bob.api.ok('POST', '/items/community_posts', thread(group.id));
		expect((await bob.api.patch(`/items/community_posts/${own.id}`, { status: 'deleted' })).status).toBe(204);
		// Deleted posts are readable by admins only: editing one answers like a post that does not exist.
		expect(errorCode(await bob.api.patch(`/items/community_posts/${own.id}`, { body: 'undelete?' }))).toBe('FORBIDDEN');
		expect((await bob.api.delete(`/items/community_posts/${own.id}`)).status).toBe(403);
	});
});

describe('moderation', () => {
	it('pending posts: seen by the author and moderators only; approve or reject with a note; 409 when not pending; everyone told', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2, group: { require_post_approval: true } });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const pending = await alice.api.ok('POST', '/items/community_posts', thread(group.id));
		expect(pending.status).toBe('pending');
		expect((await bob.api.get(`/items/community_posts/${pending.id}`)).status).toBe(403);
		expect((await instructor.api.ok('GET', `/items/community_posts/${pending.id}`)).status).toBe('pending');
		await eventually(async () => (await notificationsOf(instructor, 'post_pending')).length === 1);

		// Bob cannot see alice's pending post; alice can, but does not moderate.
		expect(errorCode(await bob.api.post(`/community/posts/${pending.id}/approve`))).toBe('FORBIDDEN');
		expect(errorCode(await alice.api.post(`/community/posts/${pending.id}/approve`))).toBe('NOT_MODERATOR');
		const approved = await instructor.api.post(`/community/posts/${pending.id}/approve`, { note: 'Thanks!' });
		expect(approved.body.data).toMatchObject({ status: 'published', moderated_by: instructor.id, moderation_note: 'Thanks!' });
		const twice = await instructor.api.post(`/community/posts/${pending.id}/approve`);
		expect([twice.status, errorCode(twice)]).toEqual([409, 'INVALID_STATE']);
		expect((await bob.api.get(`/items/community_posts/${pending.id}`)).status).toBe(200);
		await eventually(async () => (await notificationsOf(alice, 'post_approved')).length === 1);

		const second = await alice.api.ok('POST', '/items/community_posts', thread(group.id, { title: 'Spam?' }));
		const rejected = await instructor.api.post(`/community/posts/${second.id}/reject`, { note: 'Off topic' });
		expect(rejected.body.data).toMatchObject({ status: 'rejected', moderation_note: 'Off topic' });
		expect((await alice.api.ok('GET', `/items/community_posts/${second.id}`)).moderation_note).toBe('Off topic');
		expect((await bob.api.get(`/items/community_posts/${second.id}`)).status).toBe(403);
		const rejectedNotice = await eventually(async () => (await notificationsOf(alice, 'post_rejected'))[0]);
		expect(rejectedNotice).toMatchObject({ actor: instructor.id, post: second.id, data: { note: 'Off topic' } });

		const instructorPost = await instructor.api.ok('POST', '/items/community_posts', thread(group.id));
		expect(instructorPost.status).toBe('published');
	});

	it('two moderators approving at once: exactly one wins', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2, group: { require_post_approval: true } });
		const [alice, moderator] = students as [(typeof students)[0], (typeof students)[0]];
		await instructor.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, moderator)).id}`, { role: 'moderator' });
		const pending = await alice.api.ok('POST', '/items/community_posts', thread(group.id));
		const results = await Promise.all([instructor, moderator].map((who) => who.api.post(`/community/posts/${pending.id}/approve`)));
		expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
	});
});

describe('reactions, views, mentions and notifications', () => {
	it('reactions: allowed set, idempotent, exact counts under parallel reactions, author notified once', async () => {
		const { group, instructor, students } = await communityFixture({ students: 6 });
		const post = await instructor.api.ok('POST', '/items/community_posts', thread(group.id));
		const bad = await students[0]!.api.post(`/community/posts/${post.id}/reactions`, { emoji: '💩' });
		expect([bad.status, errorCode(bad)]).toEqual([400, 'INVALID_PAYLOAD']);
		const results = await Promise.all(
			students.flatMap((student) =>
				['👍', '👍', '🎉'].map((emoji) => student.api.post(`/community/posts/${post.id}/reactions`, { emoji })),
			),
		);
		expect(results.every((r) => r.status === 200)).toBe(true);
		const admin = await asAdmin();
		expect((await admin.ok('GET', `/items/community_posts/${post.id}`)).reaction_counts).toEqual({ '👍': 6, '🎉': 6 });
		const removed = await students[0]!.api.delete(`/community/posts/${post.id}/reactions/${encodeURIComponent('🎉')}`);
		expect(removed.body.data).toEqual({ reaction_counts: { '👍': 6, '🎉': 5 }, mine: ['👍'] });
		const rows = await admin.ok<any[]>('GET', `/items/community_post_reactions?filter[post][_eq]=${post.id}&limit=200`);
		expect(rows).toHaveLength(11);
		await eventually(async () => (await notificationsOf(instructor, 'post_reaction')).length >= 6);
		expect((await notificationsOf(instructor, 'post_reaction')).length).toBe(12);
	});

	it('views count once per user per day', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2 });
		const post = await instructor.api.ok('POST', '/items/community_posts', thread(group.id));
		for (const student of [...students, ...students]) await student.api.post(`/community/posts/${post.id}/view`);
		const last = await Promise.all([1, 2, 3].map(() => instructor.api.post(`/community/posts/${post.id}/view`)));
		expect(last.map((r) => r.body.data.view_count).sort()).toEqual([3, 3, 3]);
	});

	it('replies and mentions notify members only, never the actor, as their notify preference says', async () => {
		const { group, instructor, students } = await communityFixture({ students: 3 });
		const [alice, bob, carol] = students as [(typeof students)[0], (typeof students)[0], (typeof students)[0]];
		const outsider = (await communityFixture({ students: 1 })).students[0]!;
		await carol.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, carol)).id}`, { notify: 'none' });
		await bob.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, bob)).id}`, { notify: 'mentions' });

		const starter = await alice.api.ok('POST', '/items/community_posts', thread(group.id));
		await alice.api.ok('POST', '/items/community_posts', { group: group.id, parent: starter.id, body: `self reply <@${alice.id}>` });
		await instructor.api.ok('POST', '/items/community_posts', {
			group: group.id,
			parent: starter.id,
			body: `Hi <@${bob.id}> <@${carol.id}> <@${outsider.id}> <@${instructor.id}>`,
		});
		await eventually(async () => (await notificationsOf(bob, 'mention')).length === 1);
		const replies = await eventually(async () => {
			const list = await notificationsOf(alice, 'post_reply');
			return list.length > 0 && list;
		});
		expect(replies).toHaveLength(1);
		expect(replies[0]).toMatchObject({ actor: instructor.id, group: group.id, type: 'post_reply' });
		expect(await notificationsOf(alice, 'mention')).toEqual([]);
		expect(await notificationsOf(carol)).toEqual([]);
		expect(await notificationsOf(outsider)).toEqual([]);
		expect(await notificationsOf(instructor, 'mention')).toEqual([]);

		const mine = await alice.api.ok('GET', '/community/me/groups');
		expect(mine[0].unread_notifications).toBe(1);
		const marked = await alice.api.post('/community/notifications/read', { all: true });
		expect(marked.body.data.updated).toBe(1);
		expect((await notificationsOf(alice))[0].read_at).not.toBeNull();
		expect((await bob.api.post('/community/notifications/read', { ids: [replies[0].id] })).body.data.updated).toBe(0);
		expect(errorCode(await bob.api.post('/community/notifications/read', { ids: 'all' }))).toBe('INVALID_PAYLOAD');
	});
});
