import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { addMember, asAdmin, eventually, type ApiResponse, type TestUser } from '../support/api.js';
import { communityFixture, errorCode, notificationsOf } from '../support/community.js';
import { call, connectAs } from '../support/socket.js';

/**
 * The group's rules hold on every transition of a post, not only when it is created: edits under approval,
 * locks, student threads, resubmitting a rejected post. And replies and read markers never reach a message
 * that is deleted or hidden from the caller.
 */

const thread = (group: { id: number }, extra: object = {}) => ({
	group: group.id,
	title: 'A question',
	body: 'What about **this**?',
	...extra,
});
const statusOf = async (postId: number) => (await (await asAdmin()).ok('GET', `/items/community_posts/${postId}`)).status;
const replyCount = async (postId: number) => (await (await asAdmin()).ok('GET', `/items/community_posts/${postId}`)).reply_count;
/** What an answer tells the caller: status and errors. */
const answer = (response: ApiResponse) => ({ status: response.status, errors: response.body?.errors ?? null });

const sockets: Socket[] = [];
afterEach(() => {
	for (const socket of sockets.splice(0)) socket.disconnect();
});

describe('edits under approval', () => {
	it("send a student's published post back to review, out of members' sight; the approved edit is told once", async () => {
		const { group, instructor, students } = await communityFixture({ students: 2, group: { require_post_approval: true } });
		const [alice, bob] = students as [TestUser, TestUser];
		const starter = await instructor.api.ok('POST', '/items/community_posts', thread(group));
		const reply = await alice.api.ok('POST', '/items/community_posts', { group: group.id, parent: starter.id, body: 'My answer' });
		expect(reply.status).toBe('pending');
		await instructor.api.ok('POST', `/community/posts/${reply.id}/approve`);
		expect(await replyCount(starter.id)).toBe(1);
		await eventually(async () => (await notificationsOf(instructor, 'post_reply')).length === 1);

		const edited = await alice.api.patch(`/items/community_posts/${reply.id}`, { body: 'My better answer' });
		expect(edited.status).toBe(200);
		expect(edited.body.data).toMatchObject({ status: 'pending', body: 'My better answer' });
		expect(edited.body.data.edited_at).not.toBeNull();
		expect(await replyCount(starter.id)).toBe(0);
		expect((await bob.api.get(`/items/community_posts/${reply.id}`)).status).toBe(403);
		const pendingNotes = await eventually(async () => {
			const notes = await notificationsOf(instructor, 'post_pending');
			return notes.length === 2 && notes;
		});
		expect(pendingNotes.map((n: any) => n.post)).toEqual([reply.id, reply.id]);
		const queue = await instructor.api.ok('GET', `/community/moderation/queue?group=${group.id}`);
		expect(queue.pending_posts.map((p: any) => p.id)).toEqual([reply.id]);

		// Edits while under review stay under review; approval brings the edit back, counted once and told once.
		expect((await alice.api.ok('PATCH', `/items/community_posts/${reply.id}`, { body: 'My best answer' })).status).toBe('pending');
		expect((await instructor.api.ok('POST', `/community/posts/${reply.id}/approve`)).status).toBe('published');
		expect(await replyCount(starter.id)).toBe(1);
		expect((await bob.api.ok('GET', `/items/community_posts/${reply.id}`)).body).toBe('My best answer');
		await eventually(async () => (await notificationsOf(alice, 'post_approved')).length === 2);
		expect(await notificationsOf(instructor, 'post_reply')).toHaveLength(1);
	});

	it("leave instructors' and moderators' edits published, and edits where approval is off", async () => {
		const { group, instructor, students } = await communityFixture({ students: 2, group: { require_post_approval: true } });
		const [alice, moderator] = students as [TestUser, TestUser];
		await addMember(group, moderator, { role: 'moderator' });
		const own = await instructor.api.ok('POST', '/items/community_posts', thread(group));
		expect((await instructor.api.ok('PATCH', `/items/community_posts/${own.id}`, { title: 'Renamed' })).status).toBe('published');
		const moderated = await moderator.api.ok('POST', '/items/community_posts', thread(group));
		expect(moderated.status).toBe('published');
		expect((await moderator.api.ok('PATCH', `/items/community_posts/${moderated.id}`, { body: 'edited' })).status).toBe('published');

		const admin = await asAdmin();
		await admin.ok('PATCH', `/items/community_groups/${group.id}`, { require_post_approval: false });
		const free = await alice.api.ok('POST', '/items/community_posts', thread(group));
		expect((await alice.api.ok('PATCH', `/items/community_posts/${free.id}`, { body: 'edited freely' })).status).toBe('published');
	});
});

describe('locks and student threads on every transition', () => {
	it('a lock refuses publishing a draft reply and editing replies; deleting and moderators still work', async () => {
		const { group, instructor, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const starter = await alice.api.ok('POST', '/items/community_posts', thread(group));
		const reply = await alice.api.ok('POST', '/items/community_posts', { group: group.id, parent: starter.id, body: 'published' });
		const draft = await alice.api.ok('POST', '/items/community_posts', {
			group: group.id,
			parent: starter.id,
			body: 'later',
			status: 'draft',
		});
		const teacherReply = await instructor.api.ok('POST', '/items/community_posts', { group: group.id, parent: starter.id, body: 'note' });
		await instructor.api.ok('POST', `/community/posts/${starter.id}/lock`);

		for (const [id, body] of [
			[draft.id, { status: 'published' }],
			[draft.id, { body: 'edited draft' }],
			[reply.id, { body: 'edited reply' }],
		] as const) {
			const refused = await alice.api.patch(`/items/community_posts/${id}`, body);
			expect([refused.status, errorCode(refused)], JSON.stringify(body)).toEqual([403, 'THREAD_LOCKED']);
		}
		expect(await statusOf(draft.id)).toBe('draft');
		expect((await alice.api.ok('PATCH', `/items/community_posts/${starter.id}`, { body: 'starter edited' })).body).toBe('starter edited');
		expect((await instructor.api.ok('PATCH', `/items/community_posts/${teacherReply.id}`, { body: 'note, edited' })).body).toBe(
			'note, edited',
		);
		expect((await alice.api.patch(`/items/community_posts/${reply.id}`, { status: 'deleted' })).status).toBe(204);
		expect(await replyCount(starter.id)).toBe(1);

		await instructor.api.ok('POST', `/community/posts/${starter.id}/unlock`);
		expect((await alice.api.ok('PATCH', `/items/community_posts/${draft.id}`, { status: 'published' })).status).toBe('published');
		expect(await replyCount(starter.id)).toBe(2);
	});

	it('a draft reply whose thread is gone is not published', async () => {
		const { group, instructor, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const starter = await instructor.api.ok('POST', '/items/community_posts', thread(group));
		const draft = await alice.api.ok('POST', '/items/community_posts', { group: group.id, parent: starter.id, body: 'b', status: 'draft' });
		await instructor.api.patch(`/items/community_posts/${starter.id}`, { status: 'deleted' });
		const refused = await alice.api.patch(`/items/community_posts/${draft.id}`, { status: 'published' });
		expect([refused.status, errorCode(refused)]).toEqual([400, 'INVALID_REFERENCE']);
	});

	it('allow_student_posts holds when a draft thread is published, not only when it is created', async () => {
		const { group, instructor, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const draft = await alice.api.ok('POST', '/items/community_posts', thread(group, { status: 'draft' }));
		const teacherDraft = await instructor.api.ok('POST', '/items/community_posts', thread(group, { status: 'draft' }));
		const open = await instructor.api.ok('POST', '/items/community_posts', thread(group));
		const draftReply = await alice.api.ok('POST', '/items/community_posts', {
			group: group.id,
			parent: open.id,
			body: 'r',
			status: 'draft',
		});
		await (await asAdmin()).ok('PATCH', `/items/community_groups/${group.id}`, { allow_student_posts: false });

		const refused = await alice.api.patch(`/items/community_posts/${draft.id}`, { status: 'published' });
		expect([refused.status, errorCode(refused)]).toEqual([403, 'STUDENT_POSTS_DISABLED']);
		expect(await statusOf(draft.id)).toBe('draft');
		expect((await alice.api.ok('PATCH', `/items/community_posts/${draftReply.id}`, { status: 'published' })).status).toBe('published');
		expect((await instructor.api.ok('PATCH', `/items/community_posts/${teacherDraft.id}`, { status: 'published' })).status).toBe(
			'published',
		);
	});
});

describe('rejected posts', () => {
	it('go back to their author, who edits and resubmits them through the same rules', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2, group: { require_post_approval: true } });
		const [alice, bob] = students as [TestUser, TestUser];
		const post = await alice.api.ok('POST', '/items/community_posts', thread(group));
		await instructor.api.ok('POST', `/community/posts/${post.id}/reject`, { note: 'Please add the lab number.' });
		expect(await alice.api.ok('GET', `/items/community_posts/${post.id}`)).toMatchObject({
			status: 'rejected',
			moderation_note: 'Please add the lab number.',
		});
		expect((await bob.api.get(`/items/community_posts/${post.id}`)).status).toBe(403);
		expect(errorCode(await bob.api.patch(`/items/community_posts/${post.id}`, { status: 'published' }))).toBe('FORBIDDEN');

		const edited = await alice.api.ok('PATCH', `/items/community_posts/${post.id}`, { title: 'Lab 3: a question' });
		expect(edited).toMatchObject({ status: 'rejected', title: 'Lab 3: a question' });
		const resubmitted = await alice.api.ok('PATCH', `/items/community_posts/${post.id}`, { status: 'published', body: 'Lab 3, part 2.' });
		expect(resubmitted).toMatchObject({ status: 'pending', body: 'Lab 3, part 2.' });
		await eventually(async () => (await notificationsOf(instructor, 'post_pending')).length === 2);
		const again = await alice.api.patch(`/items/community_posts/${post.id}`, { status: 'published' });
		expect([again.status, errorCode(again)]).toEqual([409, 'INVALID_STATE']);

		expect((await instructor.api.ok('POST', `/community/posts/${post.id}/approve`)).status).toBe('published');
		expect((await bob.api.ok('GET', `/items/community_posts/${post.id}`)).title).toBe('Lab 3: a question');
	});

	it('are resubmitted under the rules of the moment: published without approval, refused in a locked thread', async () => {
		const { group, instructor, students } = await communityFixture({ students: 1, group: { require_post_approval: true } });
		const alice = students[0]!;
		const starter = await instructor.api.ok('POST', '/items/community_posts', thread(group));
		const reply = await alice.api.ok('POST', '/items/community_posts', { group: group.id, parent: starter.id, body: 'off topic' });
		const post = await alice.api.ok('POST', '/items/community_posts', thread(group));
		for (const id of [reply.id, post.id]) await instructor.api.ok('POST', `/community/posts/${id}/reject`);

		await instructor.api.ok('POST', `/community/posts/${starter.id}/lock`);
		const locked = await alice.api.patch(`/items/community_posts/${reply.id}`, { status: 'published' });
		expect([locked.status, errorCode(locked)]).toEqual([403, 'THREAD_LOCKED']);

		await (await asAdmin()).ok('PATCH', `/items/community_groups/${group.id}`, { require_post_approval: false });
		expect((await alice.api.ok('PATCH', `/items/community_posts/${post.id}`, { status: 'published' })).status).toBe('published');
		await instructor.api.ok('POST', `/community/posts/${starter.id}/unlock`);
		expect((await alice.api.ok('PATCH', `/items/community_posts/${reply.id}`, { status: 'published' })).status).toBe('published');
		expect(await replyCount(starter.id)).toBe(1);
	});
});

describe('messages that are deleted or hidden', () => {
	it('take no replies: the answer is the one for a message of another group, for everyone and on the socket', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [TestUser, TestUser];
		const other = await communityFixture({ students: 1 });
		const foreign = await other.students[0]!.api.ok('POST', '/items/community_messages', { group: other.group.id, body: 'elsewhere' });
		const hidden = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'reported' });
		await (await asAdmin()).ok('PATCH', `/items/community_messages/${hidden.id}`, { hidden_at: new Date().toISOString() });
		const deleted = await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: 'oops' });
		await bob.api.ok('PATCH', `/items/community_messages/${deleted.id}`, { deleted_at: true });
		const live = await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: 'still here' });

		const reply = (user: TestUser, replyTo: number) =>
			user.api.post('/items/community_messages', { group: group.id, body: 're', reply_to: replyTo });
		const expected = answer(await reply(bob, Number(foreign.id)));
		expect(expected).toMatchObject({ status: 400, errors: [{ extensions: { code: 'INVALID_REFERENCE' } }] });
		for (const [user, target] of [
			[bob, hidden.id],
			[alice, hidden.id],
			[instructor, hidden.id],
			[alice, deleted.id],
			[bob, deleted.id],
			[instructor, deleted.id],
		] as const)
			expect(answer(await reply(user, Number(target)))).toEqual(expected);
		expect((await reply(alice, Number(live.id))).status).toBe(200);

		const socket = await connectAs(alice);
		sockets.push(socket);
		expect((await call(socket, 'group:join', { group: group.id })).ok).toBe(true);
		for (const target of [hidden.id, deleted.id]) {
			const sent = await call(socket, 'message:send', {
				group: group.id,
				body: 're',
				client_id: `reply-${target}`,
				reply_to: Number(target),
			});
			expect([sent.ok, sent.error?.code]).toEqual([false, 'INVALID_REFERENCE']);
		}
		const admin = await asAdmin();
		const replies = await admin.ok<any[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}&filter[reply_to][_nnull]=true`);
		expect(replies.map((m) => Number(m.reply_to))).toEqual([Number(live.id)]);
	});

	it('a read marker at a message hidden from the caller is refused like a missing one and moves nothing', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [TestUser, TestUser];
		const first = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'first' });
		const hidden = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'reported' });
		await (await asAdmin()).ok('PATCH', `/items/community_messages/${hidden.id}`, { hidden_at: new Date().toISOString() });
		await bob.api.ok('POST', `/community/groups/${group.id}/read`, { message: first.id });

		const missing = answer(await bob.api.post(`/community/groups/${group.id}/read`, { message: 2_147_480_000 }));
		expect(missing).toMatchObject({ status: 400, errors: [{ extensions: { code: 'INVALID_REFERENCE' } }] });
		expect(answer(await bob.api.post(`/community/groups/${group.id}/read`, { message: hidden.id }))).toEqual(missing);
		const [marker] = await bob.api.ok<any[]>('GET', `/items/community_message_receipts?filter[user][_eq]=${bob.id}`);
		expect(Number(marker.last_read_message)).toBe(Number(first.id));
		const mine = await bob.api.ok<any[]>('GET', '/community/me/groups');
		expect(mine.find((g) => g.id === group.id)).toMatchObject({ last_read_seq: Number(first.seq), unread_messages: 0 });

		// Its sender still reads it, so may mark it; the answer is about the sender's own marker.
		expect(await alice.api.ok('POST', `/community/groups/${group.id}/read`, { message: hidden.id })).toMatchObject({
			last_read_seq: Number(hidden.seq),
		});
	});
});
