import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { asAdmin, eventually } from '../support/api.js';
import { communityFixture, errorCode, notificationsOf } from '../support/community.js';
import { openDatabase } from '../support/database.js';

let db: Knex;
beforeAll(() => {
	db = openDatabase(inject('directus').configPath);
});
afterAll(async () => {
	await db.destroy();
});

const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
/** Moves a row's creation time back, as time passing would. */
const backdate = (table: string, id: number, minutes: number) =>
	db(table)
		.where({ id })
		.update({ date_created: new Date(Date.now() - minutes * 60_000).toISOString() });

describe('post before you see replies', () => {
	it('hides a thread’s replies from a student until their own reply is published, on lists, counts, single reads and reactions', async () => {
		const { group, instructor, students } = await communityFixture({ students: 3, group: { post_before_replies: true } });
		const [alice, bob, carol] = students as [(typeof students)[0], (typeof students)[0], (typeof students)[0]];
		const thread = await instructor.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Week 1', body: 'Your view?' });
		const aliceReply = await alice.api.ok('POST', '/items/community_posts', { group: group.id, parent: thread.id, body: 'alicesview' });

		const replies = (user: typeof alice) =>
			user.api.get(`/items/community_posts?filter[parent][_eq]=${thread.id}&meta=filter_count&limit=200&fields=id,author`);
		const bobSees = await replies(bob);
		expect(bobSees.status).toBe(200);
		expect(bobSees.body.data).toEqual([]);
		expect(bobSees.body.meta.filter_count).toBe(0);
		// The thread itself stays readable; its replies through an expansion are scoped too.
		const expanded = await bob.api.ok('GET', `/items/community_posts/${thread.id}?fields=id,replies.id`);
		expect(expanded.replies).toEqual([]);
		for (const response of [
			await bob.api.get(`/items/community_posts/${aliceReply.id}`),
			await bob.api.post(`/community/posts/${aliceReply.id}/reactions`, { emoji: '👍' }),
			await bob.api.post(`/community/posts/${aliceReply.id}/view`),
		])
			expect([response.status, errorCode(response)]).toEqual([403, 'FORBIDDEN']);
		// Reactions of a hidden reply are hidden with it.
		await alice.api.ok('POST', `/community/posts/${aliceReply.id}/reactions`, { emoji: '👍' });
		expect(await bob.api.ok('GET', `/items/community_post_reactions?filter[post][_eq]=${aliceReply.id}&limit=200`)).toEqual([]);

		// The instructor, the thread's author, and alice (who replied) read every reply.
		expect((await replies(instructor)).body.meta.filter_count).toBe(1);
		expect((await replies(alice)).body.meta.filter_count).toBe(1);

		// Bob's own reply opens the thread for him; carol still sees nothing.
		await bob.api.ok('POST', '/items/community_posts', { group: group.id, parent: thread.id, body: 'bobsview' });
		expect((await replies(bob)).body.data.map((r: any) => r.author).sort()).toEqual([alice.id, bob.id].sort());
		expect((await replies(carol)).body.data).toEqual([]);
	});

	it('a pending reply does not count; the thread flag alone gates; notifications go only to those who may read the reply', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2, group: { require_post_approval: true } });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const thread = await instructor.api.ok('POST', '/items/community_posts', {
			group: group.id,
			title: 'Reflection',
			body: 'Post first',
			post_before_replies: true,
		});
		expect(Boolean(thread.post_before_replies)).toBe(true);
		// Students may not set thread rules.
		const refused = await alice.api.post('/items/community_posts', { group: group.id, title: 't', body: 'b', post_before_replies: true });
		expect([refused.status, errorCode(refused)]).toEqual([403, 'NOT_MODERATOR']);

		// The instructor's reply mentions bob (who has not replied) and alice: only alice may read it once she has replied.
		const pending = await alice.api.ok('POST', '/items/community_posts', { group: group.id, parent: thread.id, body: 'mine' });
		expect(pending.status).toBe('pending');
		const replies = async () =>
			(await alice.api.ok<any[]>('GET', `/items/community_posts?filter[parent][_eq]=${thread.id}&limit=200`)).map((r) => r.id);
		const teacherReply = await instructor.api.ok('POST', '/items/community_posts', {
			group: group.id,
			parent: thread.id,
			body: `Hello <@${bob.id}> and <@${alice.id}>`,
		});
		expect(await replies()).toEqual([pending.id]);

		await instructor.api.ok('POST', `/community/posts/${pending.id}/approve`, {});
		expect((await replies()).sort()).toEqual([pending.id, teacherReply.id].sort());

		// Barrier: a mention the instructor sends after alice replied reaches her; bob was never told of the first.
		const later = await instructor.api.ok('POST', '/items/community_posts', {
			group: group.id,
			parent: thread.id,
			body: `Thanks <@${alice.id}> <@${bob.id}>`,
		});
		await eventually(async () => (await notificationsOf(alice, 'mention')).some((n) => n.post === later.id));
		expect((await notificationsOf(bob, 'mention')).map((n) => n.post)).toEqual([]);
	});

	it('search does not find replies the caller may not read yet', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2, group: { post_before_replies: true } });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const thread = await instructor.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Essay', body: 'Share yours' });
		await alice.api.ok('POST', '/items/community_posts', { group: group.id, parent: thread.id, body: 'photosynthesis rocks' });
		const hits = async (user: typeof alice) =>
			(await user.api.get(`/community/search?q=photosynthesis&group=${group.id}`)).body.data.length as number;
		expect(await hits(alice)).toBe(1);
		expect(await hits(instructor)).toBe(1);
		expect(await hits(bob)).toBe(0);
	});
});

describe('edit window', () => {
	it('students edit posts and chat messages only within the window; instructors always', async () => {
		const { group, instructor, students } = await communityFixture({ students: 1, group: { edit_window_minutes: 10 } });
		const alice = students[0]!;
		const post = await alice.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Mine', body: 'first' });
		const message = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'hello' });
		const own = await instructor.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Teacher', body: 'first' });
		expect((await alice.api.patch(`/items/community_posts/${post.id}`, { body: 'second' })).status).toBe(200);
		expect((await alice.api.patch(`/items/community_messages/${message.id}`, { body: 'hello again' })).status).toBe(200);

		await backdate('community_posts', post.id, 11);
		await backdate('community_messages', message.id, 11);
		await backdate('community_posts', own.id, 11);
		for (const response of [
			await alice.api.patch(`/items/community_posts/${post.id}`, { body: 'third' }),
			await alice.api.patch(`/items/community_messages/${message.id}`, { body: 'too late' }),
		])
			expect([response.status, errorCode(response)]).toEqual([403, 'EDIT_WINDOW_CLOSED']);
		// Deleting stays possible; the instructor edits without a window.
		expect((await alice.api.patch(`/items/community_messages/${message.id}`, { deleted_at: 'now' })).status).toBe(200);
		expect((await instructor.api.patch(`/items/community_posts/${own.id}`, { body: 'edited later' })).status).toBe(200);
		const stored = await (await asAdmin()).ok('GET', `/items/community_posts/${post.id}`);
		expect(stored.body).toBe('second');
	});
});

describe('cut-off dates', () => {
	it('a group stops taking posts, replies and submissions at locks_at, by itself; moderators still post', async () => {
		const { group, instructor, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const thread = await instructor.api.ok('POST', '/items/community_posts', {
			group: group.id,
			title: 'Open',
			body: 'until the deadline',
		});
		const draft = await alice.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Draft', body: 'later', status: 'draft' });
		const bad = await instructor.api.patch(`/items/community_groups/${group.id}`, { locks_at: 'next friday' });
		expect([bad.status, errorCode(bad)]).toEqual([400, 'INVALID_PAYLOAD']);
		const locksAt = iso(1_500);
		await instructor.api.ok('PATCH', `/items/community_groups/${group.id}`, { locks_at: locksAt });
		expect((await alice.api.post('/items/community_posts', { group: group.id, parent: thread.id, body: 'in time' })).status).toBe(200);

		// No job flips a flag: the time passing is enough.
		await eventually(async () => Date.now() > Date.parse(locksAt) + 50, 5_000, 'cut-off passed');
		for (const response of [
			await alice.api.post('/items/community_posts', { group: group.id, parent: thread.id, body: 'too late' }),
			await alice.api.post('/items/community_posts', { group: group.id, title: 'New', body: 'too late' }),
			await alice.api.patch(`/items/community_posts/${draft.id}`, { status: 'published' }),
		])
			expect([response.status, errorCode(response)]).toEqual([403, 'GROUP_LOCKED']);
		expect((await instructor.api.post('/items/community_posts', { group: group.id, title: 'Grades', body: 'are out' })).status).toBe(200);
		const count = await alice.api.ok<any[]>('GET', `/items/community_posts?filter[parent][_eq]=${thread.id}&limit=200`);
		expect(count).toHaveLength(1);
	});

	it('a thread stops taking replies at its own locks_at; other threads stay open', async () => {
		const { group, instructor, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const closed = await instructor.api.ok('POST', '/items/community_posts', {
			group: group.id,
			title: 'Closed',
			body: 'x',
			locks_at: iso(-60_000),
		});
		const open = await instructor.api.ok('POST', '/items/community_posts', {
			group: group.id,
			title: 'Open',
			body: 'y',
			locks_at: iso(3_600_000),
		});
		const late = await alice.api.post('/items/community_posts', { group: group.id, parent: closed.id, body: 'late' });
		expect([late.status, errorCode(late)]).toEqual([403, 'THREAD_LOCKED']);
		expect((await alice.api.post('/items/community_posts', { group: group.id, parent: open.id, body: 'fine' })).status).toBe(200);
		// Thread rules are the moderators', on thread starters only.
		const own = await alice.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Mine', body: 'z' });
		const studentSets = await alice.api.patch(`/items/community_posts/${own.id}`, { locks_at: iso(-1) });
		expect([studentSets.status, errorCode(studentSets)]).toEqual([403, 'NOT_MODERATOR']);
		const onReply = await instructor.api.patch(
			`/items/community_posts/${(await instructor.api.ok('POST', '/items/community_posts', { group: group.id, parent: open.id, body: 'r' })).id}`,
			{
				post_before_replies: true,
			},
		);
		expect([onReply.status, errorCode(onReply)]).toEqual([400, 'INVALID_PAYLOAD']);
		expect((await instructor.api.patch(`/items/community_posts/${closed.id}`, { locks_at: null })).status).toBe(200);
		expect((await alice.api.post('/items/community_posts', { group: group.id, parent: closed.id, body: 'reopened' })).status).toBe(200);
	});

	it('group settings: language and time zone are checked', async () => {
		const { group, instructor } = await communityFixture({ students: 0 });
		for (const payload of [{ language: 'klingon' }, { timezone: 'Mars/Olympus' }, { edit_window_minutes: -1 }]) {
			const response = await instructor.api.patch(`/items/community_groups/${group.id}`, payload);
			expect([response.status, errorCode(response)], JSON.stringify(payload)).toEqual([400, 'INVALID_PAYLOAD']);
		}
		const updated = await instructor.api.ok('PATCH', `/items/community_groups/${group.id}`, {
			language: 'german',
			timezone: 'Europe/Berlin',
		});
		expect(updated).toMatchObject({ language: 'german', timezone: 'Europe/Berlin' });
	});
});
