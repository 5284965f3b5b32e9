import type { Knex } from 'knex';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { type Api, asAdmin, eventually, unique, type TestUser } from '../support/api.js';
import { runSetup } from '../support/cli.js';
import { communityFixture, errorCode } from '../support/community.js';
import { openDatabase } from '../support/database.js';
import { call, connectAs, record } from '../support/socket.js';

/** Every community collection an admin can list, to search the whole API for a trace. */
const COMMUNITY_COLLECTIONS = [
	'community_groups',
	'community_members',
	'community_posts',
	'community_post_reactions',
	'community_post_views',
	'community_message_reactions',
	'community_messages',
	'community_message_receipts',
	'community_notifications',
	'community_reports',
	'community_privacy_log',
];

const PSEUDONYM = /^Former member #\d{4,}$/;

const sockets: Socket[] = [];
afterAll(() => {
	for (const socket of sockets) socket.close();
});

async function socketOf(user: TestUser, group: { id: number }): Promise<Socket> {
	const socket = await connectAs(user);
	sockets.push(socket);
	expect((await call(socket, 'group:join', { group: group.id })).ok).toBe(true);
	return socket;
}

/** GET as the API's user, as text: exports are streamed, and CSV is not JSON. */
async function download(api: Api, path: string): Promise<{ status: number; type: string | null; text: string }> {
	const response = await fetch(api.url + path, { headers: { authorization: `Bearer ${api.token}` } });
	return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

async function exportOf(api: Api, who: string): Promise<Record<string, any>> {
	const response = await download(api, `/community/users/${who}/export`);
	expect(response.status, response.text.slice(0, 300)).toBe(200);
	expect(response.type).toContain('application/json');
	return JSON.parse(response.text).data;
}

async function privacyLog(filter: string): Promise<any[]> {
	return (await asAdmin()).ok('GET', `/items/community_privacy_log?limit=-1&sort=id&${filter}`);
}

async function post(author: TestUser, body: Record<string, unknown>): Promise<{ id: number }> {
	return author.api.ok('POST', '/items/community_posts', body);
}

async function message(sender: TestUser, group: { id: number }, body: string, extra: Record<string, unknown> = {}): Promise<any> {
	return sender.api.ok('POST', '/items/community_messages', { group: group.id, body, ...extra });
}

describe('deleting a user keeps everyone else’s content', () => {
	it('replies survive a deleted thread starter, the thread reads in order, and counters stay exact', async () => {
		const admin = await asAdmin();
		const { group, students } = await communityFixture({ students: 3 });
		const [alice, bob, carol] = students as [TestUser, TestUser, TestUser];
		const thread = await post(alice, { group: group.id, title: 'Lab partners?', body: 'Who wants to pair up?' });
		const replies = [
			await post(bob, { group: group.id, parent: thread.id, body: 'me!' }),
			await post(carol, { group: group.id, parent: thread.id, body: 'me too' }),
			await post(alice, { group: group.id, parent: thread.id, body: 'great, both of you' }),
		];
		await alice.api.ok('POST', `/community/posts/${replies[0]!.id}/reactions`, { emoji: '👍' });
		await bob.api.ok('POST', `/community/posts/${thread.id}/reactions`, { emoji: '👍' });
		await alice.api.ok('POST', `/community/posts/${replies[1]!.id}/view`);
		const sent = [];
		for (const [who, body] of [
			[alice, 'one'],
			[bob, 'two'],
			[alice, 'three'],
			[carol, 'four'],
			[alice, 'five'],
		] as const)
			sent.push(await message(who, group, body));
		await alice.api.ok('POST', `/community/groups/${group.id}/read`, { message: sent[4].id });
		await eventually(
			async () => (await admin.ok<any[]>('GET', `/items/community_notifications?filter[recipient][_eq]=${alice.id}`)).length > 0,
		);
		const before = await admin.ok('GET', `/items/community_groups/${group.id}`);

		expect((await admin.delete(`/users/${alice.id}`)).status).toBe(204);

		// The thread and every reply are there, in order; alice's rows carry one pseudonym.
		const starter = await admin.ok('GET', `/items/community_posts/${thread.id}`);
		expect(starter).toMatchObject({ author: null, status: 'published', body: 'Who wants to pair up?', reply_count: 3 });
		expect(starter.author_pseudonym).toMatch(PSEUDONYM);
		const read = await bob.api.ok<any[]>('GET', `/items/community_posts?filter[parent][_eq]=${thread.id}&sort=date_created,id`);
		expect(read.map((row) => [row.id, row.author, row.body])).toEqual([
			[replies[0]!.id, bob.id, 'me!'],
			[replies[1]!.id, carol.id, 'me too'],
			[replies[2]!.id, null, 'great, both of you'],
		]);
		expect((await admin.ok('GET', `/items/community_posts/${replies[2]!.id}`)).author_pseudonym).toBe(starter.author_pseudonym);

		// Chat: nothing vanished, seq has no holes, the former member keeps a name.
		const socket = await socketOf(bob, group);
		const synced = await call(socket, 'message:sync', { group: group.id, after: 0 });
		expect(synced.data.messages.map((m: any) => [m.seq, m.body, m.sender])).toEqual([
			[1, 'one', null],
			[2, 'two', bob.id],
			[3, 'three', null],
			[4, 'four', carol.id],
			[5, 'five', null],
		]);
		expect(synced.data.messages[0].sender_pseudonym).toBe(starter.author_pseudonym);
		const summary = (await bob.api.ok<any[]>('GET', '/community/me/groups')).find((g) => g.id === group.id);
		expect(summary).toMatchObject({ unread_messages: 4, last_message: { sender: null, sender_pseudonym: starter.author_pseudonym } });

		// Counters: alice's reaction is gone from the count, bob's stays; one member fewer.
		expect((await admin.ok('GET', `/items/community_posts/${replies[0]!.id}`)).reaction_counts).toEqual({});
		expect((await admin.ok('GET', `/items/community_posts/${thread.id}`)).reaction_counts).toEqual({ '👍': 1 });
		expect((await admin.ok('GET', `/items/community_groups/${group.id}`)).member_count).toBe(before.member_count - 1);
		for (const [collection, field] of [
			['community_post_reactions', 'user'],
			['community_post_views', 'user'],
			['community_members', 'user'],
			['community_message_receipts', 'user'],
			['community_notifications', 'recipient'],
		])
			expect(await admin.ok<any[]>('GET', `/items/${collection}?filter[${field}][_eq]=${alice.id}`), collection).toEqual([]);

		const [logged] = await eventually(async () => {
			const rows = await privacyLog(`filter[subject][_eq]=${alice.id}&filter[action][_eq]=user_deleted`);
			return rows.length > 0 && rows;
		});
		expect(logged).toMatchObject({
			detail: { pseudonym: starter.author_pseudonym },
			counts: { posts_kept: 2, messages_kept: 3, reactions_removed: 1, memberships_removed: 1 },
		});
	});

	it('a thread starter is never deleted outright with replies under it; deleting a reply recounts its thread', async () => {
		const admin = await asAdmin();
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [TestUser, TestUser];
		const thread = await post(alice, { group: group.id, title: 'Exam date', body: 'When is it?' });
		const reply = await post(bob, { group: group.id, parent: thread.id, body: 'Friday' });
		const other = await post(bob, { group: group.id, parent: thread.id, body: 'at 9' });

		const refused = await admin.delete(`/items/community_posts/${thread.id}`);
		expect([refused.status, errorCode(refused)]).toEqual([409, 'INVALID_STATE']);
		expect((await admin.delete(`/items/community_posts/${reply.id}`)).status).toBe(204);
		await eventually(async () => (await admin.ok('GET', `/items/community_posts/${thread.id}`)).reply_count === 1);
		expect((await admin.ok('GET', `/items/community_posts/${other.id}`)).parent).toBe(thread.id);
	});
});

describe('erasure on request', () => {
	it('leaves no trace of the body anywhere the API reaches, keeps threads and seq, and is logged', async () => {
		const admin = await asAdmin();
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [TestUser, TestUser];
		const secret = unique('SECRET');
		const thread = await post(alice, { group: group.id, title: `About ${secret}`, body: `Thread ${secret}` });
		await alice.api.ok('PATCH', `/items/community_posts/${thread.id}`, { body: `Edited ${secret}` });
		const bobReply = await post(bob, { group: group.id, parent: thread.id, body: `Thanks <@${alice.id}>!` });
		const aliceReply = await post(alice, { group: group.id, parent: thread.id, body: `Reply ${secret}` });
		await bob.api.ok('POST', `/community/posts/${thread.id}/reactions`, { emoji: '🎉' });
		await alice.api.ok('POST', `/community/posts/${bobReply.id}/reactions`, { emoji: '👍' });

		const bobSocket = await socketOf(bob, group);
		const deleted = record(bobSocket, 'message:deleted');
		const updated = record(bobSocket, 'message:updated');
		const first = await message(alice, group, `Chat ${secret}`, { client_id: 'alice-phone:1' });
		const bobs = await message(bob, group, `ok <@${alice.id}>`, { reply_to: first.id });
		const second = await message(alice, group, `More ${secret}`);
		await bob.api.ok('POST', '/community/reports', { message: second.id, reason: 'other', note: `she wrote ${secret}` });
		await alice.api.ok('POST', '/community/reports', { message: bobs.id, reason: 'spam', note: `report by ${secret}` });
		await alice.api.ok('POST', '/items/community_message_reactions', { message: bobs.id, emoji: '🎉' });

		const erased = await admin.ok('POST', `/community/users/${alice.id}/erase`, {});
		expect(erased.pseudonym).toMatch(PSEUDONYM);
		expect(erased.counts).toMatchObject({
			messages_erased: 2,
			posts_erased: 2,
			reactions_removed: 1,
			message_reactions_removed: 1,
			memberships_removed: 1,
		});
		const trace = (value: unknown) => {
			const text = JSON.stringify(value);
			return text.includes(secret) || text.includes(`<@${alice.id}>`);
		};

		// Everything an admin can list: the community's collections, Directus's revisions and activity.
		for (const collection of COMMUNITY_COLLECTIONS)
			expect(trace(await admin.ok('GET', `/items/${collection}?limit=-1`)), collection).toBe(false);
		expect(trace(await admin.ok('GET', '/revisions?limit=-1&filter[collection][_starts_with]=community_'))).toBe(false);
		expect(trace(await admin.ok('GET', '/activity?limit=-1&filter[collection][_starts_with]=community_'))).toBe(false);

		// The socket: sync shows the places, not the words; live clients got the same events as a delete.
		const synced = await call(bobSocket, 'message:sync', { group: group.id, after: 0 });
		expect(trace(synced)).toBe(false);
		expect(synced.data.messages.map((m: any) => [m.seq, m.sender, m.sender_pseudonym, m.client_id, !!m.deleted_at])).toEqual([
			[1, null, erased.pseudonym, null, true],
			[2, bob.id, null, null, false],
			[3, null, erased.pseudonym, null, true],
		]);
		expect(synced.data.messages[1]).toMatchObject({ body: `ok @${erased.pseudonym}`, reply_to: first.id });
		await eventually(async () => deleted.length === 2 && updated.some((m) => m.id === Number(bobs.id)));
		expect(deleted.map((m) => [m.id, m.body])).toEqual([
			[Number(first.id), ''],
			[Number(second.id), ''],
		]);

		// Threads keep their shape: the starter is deleted, the replies stay readable.
		const replies = await bob.api.ok<any[]>('GET', `/items/community_posts?filter[parent][_eq]=${thread.id}&sort=date_created,id`);
		expect(replies.map((r) => [r.id, r.body])).toEqual([[bobReply.id, `Thanks @${erased.pseudonym}!`]]);
		const starter = await admin.ok('GET', `/items/community_posts/${thread.id}`);
		expect(starter).toMatchObject({ status: 'deleted', title: null, body: '', author: null, reply_count: 1 });
		expect(await admin.ok('GET', `/items/community_posts/${aliceReply.id}`)).toMatchObject({ status: 'deleted', body: '' });
		expect((await admin.ok('GET', `/items/community_posts/${bobReply.id}`)).reaction_counts).toEqual({});

		// Notifications, exports: nothing either.
		const notifications = await bob.api.ok<any[]>('GET', '/items/community_notifications?limit=200');
		expect(trace(notifications)).toBe(false);
		expect(notifications.every((n) => n.actor !== alice.id)).toBe(true);
		expect(trace(await exportOf(admin, alice.id))).toBe(false);
		expect(trace(await exportOf(bob.api, 'me'))).toBe(false);

		const [logged] = await privacyLog(`filter[action][_eq]=erase&filter[subject][_eq]=${alice.id}`);
		expect(logged).toMatchObject({ actor: expect.any(String), counts: erased.counts, detail: { pseudonym: erased.pseudonym } });
		expect(logged.id).toBe(erased.log);
	});

	it('is for admins only, and reaches content an account deletion already detached', async () => {
		const admin = await asAdmin();
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [TestUser, TestUser];
		const refused = await bob.api.post(`/community/users/${alice.id}/erase`, {});
		expect([refused.status, errorCode(refused)]).toEqual([403, 'FORBIDDEN']);
		const bad = await admin.post('/community/users/not-a-user/erase', {});
		expect([bad.status, errorCode(bad)]).toEqual([400, 'INVALID_PAYLOAD']);

		const kept = await message(alice, group, 'from before the account was deleted');
		expect((await admin.delete(`/users/${alice.id}`)).status).toBe(204);
		await eventually(async () => (await privacyLog(`filter[subject][_eq]=${alice.id}`)).length > 0);
		const erased = await admin.ok('POST', `/community/users/${alice.id}/erase`, {});
		expect(erased.counts.messages_erased).toBe(1);
		expect(await admin.ok('GET', `/items/community_messages/${kept.id}`)).toMatchObject({ body: '', sender: null });
	});
});

describe('export on request', () => {
	it("holds every row of the person, and nothing of anyone else's", async () => {
		const admin = await asAdmin();
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [TestUser, TestUser];
		const bobWords = unique('bob-words');
		const thread = await post(alice, { group: group.id, title: 'Notes', body: 'my notes' });
		const bobReply = await post(bob, { group: group.id, parent: thread.id, body: `${bobWords} <@${alice.id}>` });
		await post(alice, { group: group.id, parent: thread.id, body: 'thanks' });
		await alice.api.ok('POST', `/community/posts/${bobReply.id}/reactions`, { emoji: '❤️' });
		await bob.api.ok('POST', `/community/posts/${thread.id}/reactions`, { emoji: '👍' });
		await alice.api.ok('POST', `/community/posts/${bobReply.id}/view`);
		const mine = await message(alice, group, 'hello, world, "quoted"', { client_id: 'alice:1' });
		const bobs = await message(bob, group, `${bobWords} to <@${alice.id}>`);
		await alice.api.ok('POST', '/items/community_message_reactions', { message: bobs.id, emoji: '👍' });
		await alice.api.ok('POST', `/community/groups/${group.id}/read`, { message: bobs.id });
		await alice.api.ok('POST', '/community/reports', { message: bobs.id, reason: 'off_topic', note: 'not about the course' });
		await bob.api.ok('POST', '/community/reports', { message: mine.id, reason: 'spam', note: bobWords });
		await eventually(
			async () => (await admin.ok<any[]>('GET', `/items/community_notifications?filter[recipient][_eq]=${alice.id}`)).length >= 3,
		);

		const truth: Record<string, [string, string]> = {
			memberships: ['community_members', 'user'],
			posts: ['community_posts', 'author'],
			messages: ['community_messages', 'sender'],
			reactions: ['community_post_reactions', 'user'],
			message_reactions: ['community_message_reactions', 'user'],
			post_views: ['community_post_views', 'user'],
			reports: ['community_reports', 'reporter'],
			notifications: ['community_notifications', 'recipient'],
			read_markers: ['community_message_receipts', 'user'],
		};
		for (const exported of [await exportOf(alice.api, 'me'), await exportOf(admin, alice.id)]) {
			expect(exported).toMatchObject({ subject: alice.id, person: { id: alice.id, email: alice.email } });
			for (const [kind, [collection, owner]] of Object.entries(truth)) {
				const rows = await admin.ok<any[]>('GET', `/items/${collection}?limit=-1&fields=id&filter[${owner}][_eq]=${alice.id}`);
				expect(rows.length, kind).toBeGreaterThan(0);
				expect(exported[kind].map((row: any) => row.id).sort(), kind).toEqual(rows.map((row) => Number(row.id)).sort());
			}
			const text = JSON.stringify(exported);
			expect(text).not.toContain(bob.id);
			expect(text).not.toContain(bob.email);
			expect(text).not.toContain(bobWords);
		}
		expect((await exportOf(alice.api, 'me')).messages[0]).toEqual({
			id: Number(mine.id),
			group: group.id,
			seq: Number(mine.seq),
			body: 'hello, world, "quoted"',
			reply_to: null,
			client_id: 'alice:1',
			edited_at: null,
			deleted_at: null,
			hidden_at: null,
			date_created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
		});

		const csv = await download(alice.api, '/community/users/me/export?format=csv&kind=messages');
		expect(csv.status).toBe(200);
		expect(csv.type).toContain('text/csv');
		expect(csv.text.split('\r\n')).toEqual([
			'id,group,seq,body,reply_to,client_id,edited_at,deleted_at,hidden_at,date_created',
			expect.stringMatching(new RegExp(`^${mine.id},${group.id},${mine.seq},"hello, world, ""quoted""",,alice:1,,,,\\d{4}-`)),
			'',
		]);

		const forbidden = await bob.api.get(`/community/users/${alice.id}/export`);
		expect([forbidden.status, errorCode(forbidden)]).toEqual([403, 'FORBIDDEN']);
		const noKind = await alice.api.get('/community/users/me/export?format=csv');
		expect([noKind.status, errorCode(noKind)]).toEqual([400, 'INVALID_PAYLOAD']);
		const exports = await privacyLog(`filter[action][_eq]=export&filter[subject][_eq]=${alice.id}`);
		expect(exports.map((row) => row.actor)).toEqual([alice.id, expect.any(String), alice.id, alice.id]);
	});
});

describe('retention', () => {
	/** A group with one student's messages, and the retention settings given. */
	async function groupWithChat(settings: Record<string, unknown>, bodies: string[]) {
		const fixture = await communityFixture({ students: 2 });
		const [alice, bob] = fixture.students as [TestUser, TestUser];
		const sent = [];
		for (const [i, body] of bodies.entries()) sent.push(await message(i % 2 ? bob : alice, fixture.group, body, { client_id: `c-${i}` }));
		await (await asAdmin()).ok('PATCH', `/items/community_groups/${fixture.group.id}`, settings);
		return { ...fixture, alice, bob, sent };
	}
	const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

	it('purges or anonymises exactly what the settings say, once; defaults keep everything', async () => {
		const admin = await asAdmin();
		const purge = await groupWithChat({ retention_days: 0, retention_action: 'purge', ends_at: daysAgo(1) }, ['a', 'b', 'c']);
		const anonymise = await groupWithChat({ retention_days: 0, ends_at: daysAgo(1) }, ['hi', 'hello']);
		await message(anonymise.bob, anonymise.group, `see you <@${anonymise.alice.id}>`);
		const notYet = await groupWithChat({ retention_days: 30, retention_action: 'purge', ends_at: daysAgo(10) }, ['kept']);
		const noSetting = await groupWithChat({ ends_at: daysAgo(400) }, ['kept too']);
		expect((await admin.ok('GET', `/items/community_groups/${noSetting.group.id}`)).retention_days).toBeNull();

		const history = record(await socketOf(purge.bob, purge.group), 'history:changed');
		const student = await anonymise.alice.api.post('/community/retention/run', {});
		expect([student.status, errorCode(student)]).toEqual([403, 'FORBIDDEN']);
		const run = await admin.ok<{ groups: any[] }>('POST', '/community/retention/run', {});
		const outcome = (group: { id: number }) => run.groups.find((g) => g.group === group.id);
		expect(outcome(purge.group)).toEqual({ group: purge.group.id, action: 'purge', messages: 3 });
		expect(outcome(anonymise.group)).toEqual({ group: anonymise.group.id, action: 'anonymise', messages: 3 });
		expect(outcome(notYet.group)).toBeUndefined();
		expect(outcome(noSetting.group)).toBeUndefined();

		const messagesOf = (group: { id: number }) =>
			admin.ok<any[]>('GET', `/items/community_messages?limit=-1&sort=seq&filter[group][_eq]=${group.id}`);
		expect(await messagesOf(purge.group)).toEqual([]);
		// Clients drop what they hold up to the last purged seq and sync again.
		await eventually(async () => history.length > 0);
		expect(history).toEqual([{ group: purge.group.id, through_seq: 3, action: 'purged' }]);
		const anonymised = await messagesOf(anonymise.group);
		expect(anonymised.map((m) => [m.body.replace(/#\d+/, '#N'), m.sender, m.client_id])).toEqual([
			['hi', null, null],
			['hello', null, null],
			['see you @Former member #N', null, null],
		]);
		// One pseudonym per person within the run: alice's message and the mention of her match.
		expect(anonymised[2].body).toBe(`see you @${anonymised[0].sender_pseudonym}`);
		expect(anonymised[1].sender_pseudonym).not.toBe(anonymised[0].sender_pseudonym);
		expect(await messagesOf(notYet.group)).toHaveLength(1);
		expect(await messagesOf(noSetting.group)).toHaveLength(1);

		const again = await admin.ok<{ groups: any[] }>('POST', '/community/retention/run', {});
		expect(again.groups.filter((g) => g.messages > 0 && [purge.group.id, anonymise.group.id].includes(g.group))).toEqual([]);
		const logged = await privacyLog(`filter[action][_eq]=retention&filter[group][_in]=${purge.group.id},${anonymise.group.id}`);
		expect(logged.map((row) => [row.group, row.counts])).toEqual([
			[purge.group.id, { messages_purged: 3 }],
			[anonymise.group.id, { messages_anonymised: 3 }],
		]);
		expect(logged[0].detail).toMatchObject({ retention_action: 'purge', retention_days: 0 });
	});

	it('instructors cannot change retention; only admins set it', async () => {
		const { group, instructor } = await communityFixture({ students: 0 });
		const response = await instructor.api.patch(`/items/community_groups/${group.id}`, { retention_days: 1 });
		expect([response.status, errorCode(response)]).toEqual([403, 'FIELD_NOT_ALLOWED']);
	});
});

describe('a group’s end of life', () => {
	it('archived groups are read-only, and the socket refuses sends with GROUP_ARCHIVED', async () => {
		const admin = await asAdmin();
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		await message(alice, group, 'before the end of term');
		const socket = await socketOf(alice, group);

		const student = await alice.api.post('/community/groups/archive', { groups: [group.id] });
		expect([student.status, errorCode(student)]).toEqual([403, 'FORBIDDEN']);
		expect(await admin.ok('POST', '/community/groups/archive', { groups: [group.id] })).toEqual({ archived: [group.id] });
		const archived = await admin.ok('GET', `/items/community_groups/${group.id}`);
		expect(archived.status).toBe('archived');
		expect(archived.ends_at).toBeTruthy();

		const sent = await call(socket, 'message:send', { group: group.id, body: 'after', client_id: 'late-1' });
		expect(sent.error.code).toBe('GROUP_ARCHIVED');
		const viaRest = await alice.api.post('/items/community_posts', { group: group.id, title: 't', body: 'b' });
		expect(errorCode(viaRest)).toBe('GROUP_ARCHIVED');
		expect(await alice.api.ok<any[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}`)).toHaveLength(1);
		expect((await privacyLog(`filter[action][_eq]=group_archived&filter[group][_eq]=${group.id}`)).length).toBe(1);
	});

	it('groups and courses are deleted only by the explicit action, after archiving, and it says what it removes', async () => {
		const admin = await asAdmin();
		const { course, group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [TestUser, TestUser];
		const thread = await post(alice, { group: group.id, title: 'Farewell', body: 'bye' });
		await post(bob, { group: group.id, parent: thread.id, body: 'bye!' });
		await message(alice, group, 'one');
		await message(bob, group, 'two');

		for (const path of [`/items/community_groups/${group.id}`, `/items/courses/${course.id}`]) {
			const refused = await admin.delete(path);
			expect([path, refused.status, errorCode(refused)]).toEqual([path, 409, 'INVALID_STATE']);
		}
		const preview = await admin.ok('GET', `/community/groups/${group.id}/deletion`);
		expect(preview).toMatchObject({
			group: { id: group.id, status: 'active' },
			removes: { members: 3, posts: 2, messages: 2 },
			confirm: `delete group ${group.id}`,
		});
		const early = await admin.request('DELETE', `/community/groups/${group.id}`, { confirm: preview.confirm });
		expect([early.status, errorCode(early)]).toEqual([409, 'INVALID_STATE']);
		await admin.ok('POST', '/community/groups/archive', { courses: [course.id] });
		const unconfirmed = await admin.request('DELETE', `/community/groups/${group.id}`, { confirm: 'yes' });
		expect([unconfirmed.status, errorCode(unconfirmed)]).toEqual([400, 'INVALID_PAYLOAD']);

		const deleted = await admin.ok('DELETE', `/community/groups/${group.id}`, { confirm: preview.confirm });
		const { course_enrollments: _enrollments, ...removes } = preview.removes;
		expect(deleted).toMatchObject({ group: group.id, course_deleted: false, removed: removes });
		expect((await admin.get(`/items/community_groups/${group.id}`)).status).toBe(403);
		expect((await admin.get(`/items/community_posts/${thread.id}`)).status).toBe(403);
		expect((await admin.get(`/items/courses/${course.id}`)).status).toBe(200);
		expect((await admin.delete(`/items/courses/${course.id}`)).status).toBe(204);
		const [logged] = await privacyLog(`filter[action][_eq]=group_deleted&filter[group][_eq]=${group.id}`);
		expect(logged.counts).toEqual(deleted.removed);
	});

	it('the course goes too when asked', async () => {
		const admin = await asAdmin();
		const { course, group } = await communityFixture({ students: 1 });
		await admin.ok('POST', '/community/groups/archive', { groups: [group.id] });
		const deleted = await admin.ok('DELETE', `/community/groups/${group.id}`, { confirm: `delete group ${group.id}`, course: true });
		expect(deleted).toMatchObject({ course_deleted: true, removed: { course_enrollments: 2 } });
		expect((await admin.get(`/items/courses/${course.id}`)).status).toBe(403);
	});
});

describe('directus community setup and the relation rules', () => {
	const RULES: Array<[string, string, string]> = [
		['community_posts', 'author', 'SET NULL'],
		['community_messages', 'sender', 'SET NULL'],
		['community_reports', 'reporter', 'SET NULL'],
		['community_posts', 'parent', 'NO ACTION'],
		['community_groups', 'course', 'NO ACTION'],
	];

	/** The rule as the database holds it (not Directus's cached schema: the setup runs in another process). */
	async function deleteRule(db: Knex, table: string, column: string): Promise<string> {
		if (db.client.config.client === 'pg') {
			const { rows } = await db.raw(
				`SELECT rc.delete_rule FROM information_schema.referential_constraints rc
				 JOIN information_schema.key_column_usage k ON k.constraint_name = rc.constraint_name AND k.constraint_schema = rc.constraint_schema
				 WHERE k.table_name = ? AND k.column_name = ?`,
				[table, column],
			);
			return rows[0].delete_rule;
		}
		const keys: Array<{ from: string; on_delete: string }> = await db.raw('PRAGMA foreign_key_list(??)', [table]);
		return keys.find((key) => key.from === column)!.on_delete;
	}

	it('brings the rules of snapshots/community.yaml to a database that still has the old ones, once', async () => {
		const admin = await asAdmin();
		const db = openDatabase(inject('directus').configPath);
		try {
			// A database set up before these rules: every one of them cascaded.
			for (const [table, column] of RULES) await admin.ok('PATCH', `/relations/${table}/${column}`, { schema: { on_delete: 'CASCADE' } });
			for (const [table, column] of RULES) expect(await deleteRule(db, table, column)).toBe('CASCADE');

			expect((await runSetup()).schema.map((step) => step.changed)).toEqual([false, true]);
			for (const [table, column, rule] of RULES)
				expect([table, column, await deleteRule(db, table, column)]).toEqual([table, column, rule]);
			expect((await runSetup()).schema.map((step) => step.changed)).toEqual([false, false]);
		} finally {
			await db.destroy();
			// The running server cached the schema it changed itself; the setup changed it again from outside.
			await admin.post('/utils/cache/clear?system');
		}

		// And the database behaves by them: a deleted author's post stays.
		const { group, students } = await communityFixture({ students: 1 });
		const kept = await post(students[0]!, { group: group.id, title: 'still here', body: 'after setup' });
		expect((await admin.delete(`/users/${students[0]!.id}`)).status).toBe(204);
		expect(await admin.ok('GET', `/items/community_posts/${kept.id}`)).toMatchObject({ author: null, body: 'after setup' });
	});
});
