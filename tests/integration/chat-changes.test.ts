import type { Knex } from 'knex';
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_COMMUNITY_ENV } from '../global-setup.js';
import { Api, asAdmin, createUser, directusUrl, eventually, login } from '../support/api.js';
import { runSetup } from '../support/cli.js';
import { communityFixture, errorCode, membershipOf, notificationsOf } from '../support/community.js';
import { openDatabase } from '../support/database.js';
import { startDirectusInstance, type DirectusInstance, type TestDatabase } from '../support/directus-instance.js';
import { call, connect, connectAs, record } from '../support/socket.js';

/**
 * The change cursor (`message:sync` by `since`), reactions on chat messages and reply notifications
 * (docs/realtime.md): a client that was away converges on the server's state, page by page, whatever changed.
 */

const sockets: Socket[] = [];
afterEach(() => {
	for (const socket of sockets.splice(0)) socket.close();
});
const open = async (user: Parameters<typeof connectAs>[0]) => {
	const socket = await connectAs(user);
	sockets.push(socket);
	return socket;
};

type Wire = Record<string, any> & { id: number; change_seq: number };

/** Applies change pages from `since` to a copy, as a client would; answers the last cursor. */
async function catchUp(socket: Socket, group: number, copy: Map<number, Wire>, since: number, limit: number): Promise<number> {
	let cursor = since;
	for (;;) {
		const page = await call(socket, 'message:sync', { group, since: cursor, limit });
		expect(page.ok, JSON.stringify(page.error)).toBe(true);
		const changes = page.data.messages.map((m: Wire) => m.change_seq);
		// In change order, every number after the cursor, each message once per page.
		expect(changes).toEqual([...changes].sort((a: number, b: number) => a - b));
		expect(changes.every((n: number) => n > cursor)).toBe(true);
		expect(new Set(page.data.messages.map((m: Wire) => m.id)).size).toBe(page.data.messages.length);
		for (const message of page.data.messages as Wire[]) copy.set(message.id, message);
		cursor = page.data.change_cursor;
		if (!page.data.has_more) return cursor;
	}
}

async function fullRead(socket: Socket, group: number): Promise<Map<number, Wire>> {
	const fresh = new Map<number, Wire>();
	await catchUp(socket, group, fresh, 0, 200);
	return fresh;
}

const sorted = (copy: Map<number, Wire>) => [...copy.values()].sort((a, b) => a.id - b.id);

describe('message:sync by change cursor', () => {
	it('edits, deletes, a moderator hide and reactions made while away reach the client: its copy equals a fresh read', async () => {
		const { group, instructor, students } = await communityFixture({ students: 3 });
		const [alice, bob, carol] = students as [(typeof students)[0], (typeof students)[0], (typeof students)[0]];
		const bobSocket = await open(bob);
		expect((await call(bobSocket, 'group:join', { group: group.id })).ok).toBe(true);
		const send = async (body: string, i: number) =>
			(await call(bobSocket, 'message:send', { group: group.id, body, client_id: `conv-${i}` })).data as Wire;
		const [m1, m2, m3] = [await send('one', 1), await send('two', 2), await send('three', 3)];
		const m4 = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'four' });

		let aliceSocket = await open(alice);
		const copy = new Map<number, Wire>();
		const cursor = await catchUp(aliceSocket, group.id, copy, 0, 200);
		expect(sorted(copy).map((m) => m.body)).toEqual(['one', 'two', 'three', 'four']);
		aliceSocket.close();

		// While alice is away: an edit (REST), a delete (socket), a moderator hide, reactions (REST and socket), a new message.
		await bob.api.ok('PATCH', `/items/community_messages/${m1.id}`, { body: 'one, edited' });
		expect((await call(bobSocket, 'message:delete', { message: m2.id })).ok).toBe(true);
		const report = await carol.api.ok('POST', '/community/reports', { message: m3.id, reason: 'spam' });
		await instructor.api.ok('POST', `/community/reports/${report.id}/resolve`, { action: 'hide' });
		await carol.api.ok('POST', '/items/community_message_reactions', { message: m4.id, emoji: '👍' });
		expect((await call(bobSocket, 'reaction:add', { message: m4.id, emoji: '👍' })).data.reactions).toEqual({ '👍': 2 });
		expect((await call(bobSocket, 'reaction:add', { message: m1.id, emoji: '🎉' })).ok).toBe(true);
		await send('five', 5);

		aliceSocket = await open(alice);
		const after = await catchUp(aliceSocket, group.id, copy, cursor, 2);
		expect(after).toBeGreaterThan(cursor);
		const fresh = await fullRead(aliceSocket, group.id);
		expect(sorted(copy)).toEqual(sorted(fresh));
		const byBody = sorted(fresh);
		expect(byBody.find((m) => m.id === m1.id)).toMatchObject({ body: 'one, edited', reactions: { '🎉': 1 }, my_reactions: [] });
		expect(byBody.find((m) => m.id === m2.id)).toMatchObject({ body: '', reactions: {} });
		expect(byBody.find((m) => m.id === m2.id)!['deleted_at']).not.toBeNull();
		// Hidden: a tombstone for alice, no body, no reactions.
		expect(byBody.find((m) => m.id === m3.id)).toMatchObject({ body: '', reactions: {} });
		expect(byBody.find((m) => m.id === m3.id)!['hidden_at']).not.toBeNull();
		expect(byBody.find((m) => m.id === Number(m4.id))).toMatchObject({ body: 'four', reactions: { '👍': 2 }, my_reactions: [] });
		// Its sender and the moderators still read the hidden body.
		const bobView = await fullRead(bobSocket, group.id);
		expect(bobView.get(m3.id)!['body']).toBe('three');

		// Nothing changed since: an empty page that keeps the cursor.
		const idle = await call(aliceSocket, 'message:sync', { group: group.id, since: after });
		expect(idle.data).toMatchObject({ messages: [], has_more: false, change_cursor: after });
		// The old form still answers new messages by seq.
		const bySeq = await call(aliceSocket, 'message:sync', { group: group.id, after: 4 });
		expect(bySeq.data.messages.map((m: Wire) => m.body)).toEqual(['five']);
		expect(bySeq.data.cursor).toBe(5);
		const both = await call(aliceSocket, 'message:sync', { group: group.id, after: 1, since: 1 });
		expect(both.error.code).toBe('INVALID_PAYLOAD');
		const outsider = await createUser('Student', 'outsider');
		const outsiderSocket = await open(outsider);
		expect((await call(outsiderSocket, 'message:sync', { group: group.id, since: 0 })).error.code).toBe('FORBIDDEN');
	});

	it('a page boundary loses nothing while changes keep coming between the pages', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const sent: Wire[] = [];
		for (let i = 0; i < 7; i++) sent.push(await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: `m${i}` }));
		const socket = await open(alice);
		const copy = new Map<number, Wire>();
		let cursor = 0;
		let round = 0;
		for (;;) {
			const page = await call(socket, 'message:sync', { group: group.id, since: cursor, limit: 2 });
			for (const message of page.data.messages as Wire[]) copy.set(message.id, message);
			cursor = page.data.change_cursor;
			// Between pages: a message already read changes, one not yet read changes, a new one arrives.
			if (round < 3) {
				await bob.api.ok('PATCH', `/items/community_messages/${sent[round]!.id}`, { body: `m${round} edited` });
				await bob.api.ok('PATCH', `/items/community_messages/${sent[6 - round]!.id}`, { body: `m${6 - round} edited` });
				await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: `late ${round}` });
			}
			round++;
			if (!page.data.has_more) break;
		}
		expect(sorted(copy)).toEqual(sorted(await fullRead(socket, group.id)));
		expect(copy.size).toBe(10);
	});

	it('concurrent changes get distinct change numbers in commit order', async () => {
		const { group, students } = await communityFixture({ students: 4 });
		const base = await students[0]!.api.ok('POST', '/items/community_messages', { group: group.id, body: 'base' });
		const writes = await Promise.all(
			students.flatMap((student, s) => [
				student.api.post('/items/community_messages', { group: group.id, body: `c${s}` }),
				student.api.post('/items/community_message_reactions', { message: base.id, emoji: '👍' }),
			]),
		);
		expect(writes.map((w) => w.status)).toEqual(Array(8).fill(200));
		const socket = await open(students[1]!);
		const fresh = await fullRead(socket, group.id);
		const numbers = [...fresh.values()].map((m) => m.change_seq);
		expect(new Set(numbers).size).toBe(numbers.length);
		expect(fresh.get(Number(base.id))!['reactions']).toEqual({ '👍': 4 });
		// 5 creations and 4 reactions: the group's cursor counted every change once.
		expect(Math.max(...numbers)).toBe(9);
	});
});

describe('reactions on chat messages', () => {
	it('live counts stay exact when many members react at once', async () => {
		const { group, students } = await communityFixture({ students: 8 });
		const message = await students[0]!.api.ok('POST', '/items/community_messages', { group: group.id, body: 'react to me' });
		const watcher = await open(students[0]!);
		expect((await call(watcher, 'group:join', { group: group.id })).ok).toBe(true);
		const seen = record(watcher, 'message:reactions');
		const reactors = await Promise.all(students.map((student) => open(student)));
		const acks = await Promise.all(reactors.map((socket) => call(socket, 'reaction:add', { message: message.id, emoji: '👍' })));
		expect(acks.every((ack) => ack.ok)).toBe(true);
		expect(acks.map((ack) => ack.data.my_reactions)).toEqual(Array(8).fill(['👍']));
		// Each broadcast states the counts at its change number: the newest one has all eight.
		const newest = await eventually(async () => {
			const last = [...seen].sort((a, b) => b.change_seq - a.change_seq)[0];
			return last?.reactions['👍'] === 8 ? last : null;
		});
		expect(newest).toMatchObject({ group: group.id, message: Number(message.id) });
		for (const state of seen) expect(state.reactions['👍']).toBeLessThanOrEqual(8);
		// Adding it again changes nothing; removing it counts down.
		expect((await call(reactors[1]!, 'reaction:add', { message: message.id, emoji: '👍' })).data.reactions).toEqual({ '👍': 8 });
		const removed = await call(reactors[1]!, 'reaction:remove', { message: message.id, emoji: '👍' });
		expect(removed.data).toMatchObject({ reactions: { '👍': 7 }, my_reactions: [] });
		await eventually(async () => seen.some((state) => state.reactions['👍'] === 7 && state.change_seq === removed.data.change_seq));
	});

	it('only members who see the message react, with an allowed emoji; everyone removes only their own', async () => {
		const { group, students } = await communityFixture({ students: 3 });
		const [alice, bob, muted] = students as [(typeof students)[0], (typeof students)[0], (typeof students)[0]];
		const message = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'hello' });
		const mine = await bob.api.ok('POST', '/items/community_message_reactions', { message: message.id, emoji: '❤️' });
		expect(mine).toMatchObject({ user: bob.id, emoji: '❤️' });

		const outsider = await createUser('Student', 'outsider');
		const other = await communityFixture({ students: 1 });
		const cases: Array<[Awaited<ReturnType<typeof createUser>>, object, number, string]> = [
			[outsider, { message: message.id, emoji: '👍' }, 403, 'FORBIDDEN'],
			[other.students[0]!, { message: message.id, emoji: '👍' }, 403, 'FORBIDDEN'],
			[alice, { message: message.id, emoji: '🍕' }, 400, 'INVALID_PAYLOAD'],
			[alice, { message: message.id, emoji: '👍', user: bob.id }, 403, 'FIELD_NOT_ALLOWED'],
			[alice, { message: 'x', emoji: '👍' }, 400, 'INVALID_PAYLOAD'],
		];
		for (const [who, body, status, code] of cases) {
			const response = await who.api.post('/items/community_message_reactions', body);
			expect([response.status, errorCode(response)], JSON.stringify(body)).toEqual([status, code]);
		}
		await (await asAdmin()).ok('PATCH', `/items/community_members/${(await membershipOf(group, muted)).id}`, { status: 'muted' });
		expect(errorCode(await muted.api.post('/items/community_message_reactions', { message: message.id, emoji: '👍' }))).toBe(
			'MEMBER_MUTED',
		);

		// Deleting someone else's reaction: NOT_OWNER; one of a group you cannot see: FORBIDDEN; updates: refused.
		expect(errorCode(await alice.api.delete(`/items/community_message_reactions/${mine.id}`))).toBe('NOT_OWNER');
		expect((await outsider.api.delete(`/items/community_message_reactions/${mine.id}`)).status).toBe(403);
		expect((await bob.api.patch(`/items/community_message_reactions/${mine.id}`, { emoji: '👍' })).status).toBe(403);
		// Reads stay in the group.
		expect(await outsider.api.ok<any[]>('GET', '/items/community_message_reactions')).toEqual([]);
		expect(await other.students[0]!.api.ok<any[]>('GET', `/items/community_message_reactions?filter[message][_eq]=${message.id}`)).toEqual(
			[],
		);
		expect((await alice.api.ok<any[]>('GET', `/items/community_message_reactions?filter[message][_eq]=${message.id}`)).length).toBe(1);
		const counted = await alice.api.ok<any[]>(
			'GET',
			`/items/community_message_reactions?filter[message][_eq]=${message.id}&groupBy[]=emoji&aggregate[count]=*`,
		);
		expect(counted.map((row) => [row.emoji, Number(row.count)])).toEqual([['❤️', 1]]);
		const socket = await open(outsider);
		expect((await call(socket, 'reaction:add', { message: message.id, emoji: '👍' })).error.code).toBe('FORBIDDEN');
		expect((await call(socket, 'reaction:remove', { message: message.id, emoji: '❤️' })).error.code).toBe('FORBIDDEN');

		// A deleted message takes none; the owner removes theirs.
		await alice.api.ok('PATCH', `/items/community_messages/${message.id}`, { deleted_at: true });
		expect(errorCode(await bob.api.post('/items/community_message_reactions', { message: message.id, emoji: '👍' }))).toBe('INVALID_STATE');
		expect((await bob.api.delete(`/items/community_message_reactions/${mine.id}`)).status).toBe(204);
		// Admins are not held by the member rules; one who names nobody reacts themself.
		const admin = await asAdmin();
		const adminReaction = await admin.ok('POST', '/items/community_message_reactions', { message: message.id, emoji: '✅' });
		expect(adminReaction.user).toEqual(expect.any(String));
	});
});

describe('reply notifications', () => {
	it('a reply tells the replied-to sender, as their preference says; not for replying to yourself or to a former member', async () => {
		const { group, students } = await communityFixture({ students: 3 });
		const [alice, bob, carol] = students as [(typeof students)[0], (typeof students)[0], (typeof students)[0]];
		const bobSocket = await open(bob);
		const aliceSocket = await open(alice);
		const send = (socket: Socket, body: string, id: string, reply_to?: number) =>
			call(socket, 'message:send', { group: group.id, body, client_id: id, reply_to });
		const original = (await send(aliceSocket, 'question', 'q')).data as Wire;

		const reply = (await send(bobSocket, 'answer', 'a', original.id)).data as Wire;
		// The socket's send path commits the notification with the message: it is there when the ack is.
		const [told] = await notificationsOf(alice, 'message_reply');
		expect(told).toMatchObject({ actor: bob.id, type: 'message_reply' });
		expect(Number(told.message)).toBe(reply.id);

		// Replying to yourself tells nobody.
		await send(aliceSocket, 'and more', 'q2', original.id);
		expect(await notificationsOf(alice, 'message_reply')).toHaveLength(1);

		// notify: none → nothing; mentions → still told (a reply is addressed to them).
		await alice.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, alice)).id}`, { notify: 'none' });
		await send(bobSocket, 'again', 'a2', original.id);
		expect(await notificationsOf(alice, 'message_reply')).toHaveLength(1);
		await alice.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, alice)).id}`, { notify: 'mentions' });
		await send(bobSocket, 'and again', 'a3', original.id);
		expect(await notificationsOf(alice, 'message_reply')).toHaveLength(2);

		// A sender who left the group no longer sees it: not told.
		const carolMessage = (await send(await open(carol), 'from carol', 'c')).data as Wire;
		await carol.api.ok('POST', `/community/groups/${group.id}/leave`);
		await send(bobSocket, 'to carol', 'a4', carolMessage.id);
		expect(await notificationsOf(carol, 'message_reply')).toHaveLength(0);

		// Over REST (Directus's items): told too, after the commit.
		const restReply = await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: 'by rest', reply_to: original.id });
		await eventually(async () => (await notificationsOf(alice, 'message_reply')).some((n) => Number(n.message) === Number(restReply.id)));
	});
});

/** The change cursor's triggers as the database holds them now (setup/change-cursor.ts). */
async function cursorTriggers(db: Knex): Promise<string[]> {
	const rows: Array<{ name: string }> =
		inject('directus').db === 'postgres'
			? await db('pg_trigger')
					.whereIn('tgname', ['community_messages_change', 'community_message_reactions_change'])
					.select({ name: 'tgname' })
			: await db('sqlite_master').where('type', 'trigger').where('name', 'like', 'community_message%').select('name');
	return rows.map((row) => row.name).sort();
}
const ALL_TRIGGERS =
	process.env.TEST_DB === 'postgres'
		? ['community_message_reactions_change', 'community_messages_change']
		: ['community_message_reactions_delete', 'community_message_reactions_insert', 'community_messages_change'];

describe('the change cursor stays in place', () => {
	let db: Knex;
	beforeAll(() => {
		db = openDatabase(inject('directus').configPath);
	});
	afterAll(() => db?.destroy());

	it('schema requests of anonymous callers and members never take the triggers away', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const message = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'before' });
		const field = { field: 'hostile', type: 'string' };
		const hostile = [new Api(directusUrl()), alice.api].flatMap((api) => [
			api.post('/fields/community_messages', field),
			api.post('/FIELDS/community_messages', field),
			api.post('/relations', { collection: 'community_messages', field: 'hostile', related_collection: 'courses' }),
			api.post('/schema/apply', {}),
			api.post('/graphql/system', {
				query: 'mutation { create_fields_item(collection: "community_messages", data: { field: "hostile", type: "string" }) { field } }',
			}),
		]);
		// An edit made while they run is numbered: the triggers never left.
		const [answers, edited] = await Promise.all([
			Promise.all(hostile),
			alice.api.ok('PATCH', `/items/community_messages/${message.id}`, { body: 'edited' }),
		]);
		for (const answer of answers.filter((_, i) => i % 5 !== 4)) expect([401, 403]).toContain(answer.status);
		expect(await cursorTriggers(db)).toEqual(ALL_TRIGGERS);
		expect(Number(edited.change_seq)).toBeGreaterThan(Number(message.change_seq));
		expect((await (await asAdmin()).get('/fields/community_messages/hostile')).status).not.toBe(200);
		const later = await alice.api.ok('PATCH', `/items/community_messages/${message.id}`, { body: 'edited again' });
		expect(Number(later.change_seq)).toBeGreaterThan(Number(edited.change_seq));
	});

	it("setup numbers unnumbered messages after the group's last change, in seq order", async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const sent = [];
		for (const body of ['a', 'b', 'c']) sent.push(await alice.api.ok('POST', '/items/community_messages', { group: group.id, body }));
		await alice.api.ok('PATCH', `/items/community_messages/${sent[0].id}`, { body: 'a, edited' });
		// Change 4 was the edit; a client holds cursor 4. Two rows lose their number (written while the triggers were away).
		await db('community_messages').whereIn('id', [sent[1].id, sent[2].id]).update({ change_seq: null });
		await runSetup();
		const rows = await db('community_messages').where('group', group.id).orderBy('seq').select('id', 'change_seq');
		expect(rows.map((row) => Number(row.change_seq))).toEqual([4, 5, 6]);
		const stored = await db('community_groups').where('id', group.id).first('last_change_seq');
		expect(Number(stored.last_change_seq)).toBe(6);
		// A client at cursor 4 learns of both.
		const socket = await open(alice);
		const page = await call(socket, 'message:sync', { group: group.id, since: 4 });
		expect(page.data.messages.map((m: Wire) => m.body)).toEqual(['b', 'c']);
		expect(await cursorTriggers(db)).toEqual(ALL_TRIGGERS);
	});

	// A member's edit holds its message and then needs the group (the trigger); retention must not hold the group
	// while it waits for that message. The edit is made by hand, stopped between its two locks.
	it.skipIf(process.env.TEST_DB !== 'postgres')("retention waits for an edit in the triggers' lock order: no deadlock", async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const message = await students[0]!.api.ok('POST', '/items/community_messages', { group: group.id, body: 'old news' });
		const admin = await asAdmin();
		await admin.ok('PATCH', `/items/community_groups/${group.id}`, {
			retention_days: 0,
			retention_action: 'anonymise',
			ends_at: new Date(Date.now() - 86_400_000).toISOString(),
		});
		const edit = await db.transaction();
		try {
			await edit.raw('SELECT id FROM community_messages WHERE id = ? FOR NO KEY UPDATE', [message.id]);
			const run = admin.post('/community/retention/run', {});
			await eventually(
				async () =>
					(
						await db.raw(
							"SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%community_messages%'",
						)
					).rows.length > 0,
				10_000,
				'retention waiting for the message',
			);
			await edit('community_messages').where({ id: message.id }).update({ body: 'edited meanwhile' });
			await edit.commit();
			expect((await run).status).toBe(200);
		} finally {
			if (!edit.isCompleted()) await edit.rollback();
		}
		const stored = await db('community_messages').where({ id: message.id }).first('sender', 'body', 'change_seq');
		expect([stored.sender, stored.body]).toEqual([null, 'edited meanwhile']);
		expect(Number(stored.change_seq)).toBe(3);
	});

	it('group counters are not readable by members: clients get cursors from sync', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const asked = await alice.api.get(`/items/community_groups/${group.id}?fields=last_change_seq`);
		expect(asked.status).toBeGreaterThanOrEqual(400);
		expect(asked.status).toBeLessThan(500);
		expect(await alice.api.ok('GET', `/items/community_groups/${group.id}`)).not.toHaveProperty('last_change_seq');
		const filtered = await alice.api.get(`/items/community_groups?filter[last_change_seq][_gt]=0`);
		expect(filtered.status).toBeGreaterThanOrEqual(400);
		expect(filtered.status).toBeLessThan(500);
		expect(await (await asAdmin()).ok('GET', `/items/community_groups/${group.id}?fields=last_change_seq`)).toHaveProperty(
			'last_change_seq',
		);
	});
});

describe('reactions: what outlives a message, closed chats, races', () => {
	it("a deleted message's reactions are gone for members on every REST read, kept for its moderators", async () => {
		const { group, instructor, students } = await communityFixture({ students: 3 });
		const [alice, bob, carol] = students as [(typeof students)[0], (typeof students)[0], (typeof students)[0]];
		const byOwner = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'mine' });
		const reported = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'spam' });
		const kept = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'kept' });
		for (const message of [byOwner, reported, kept])
			await bob.api.ok('POST', '/items/community_message_reactions', { message: message.id, emoji: '👍' });
		await alice.api.ok('PATCH', `/items/community_messages/${byOwner.id}`, { deleted_at: true });
		// A moderator's "delete" decision clears hidden_at and sets deleted_at.
		const report = await carol.api.ok('POST', '/community/reports', { message: reported.id, reason: 'spam' });
		await instructor.api.ok('POST', `/community/reports/${report.id}/resolve`, { action: 'delete' });

		const inGroup = `filter[message][group][_eq]=${group.id}`;
		for (const reader of [alice, bob, carol]) {
			const listed = await reader.api.ok<any[]>('GET', `/items/community_message_reactions?${inGroup}&fields=message`);
			expect(listed.map((row) => Number(row.message))).toEqual([Number(kept.id)]);
			const counted = await reader.api.ok<any[]>('GET', `/items/community_message_reactions?${inGroup}&aggregate[count]=*`);
			expect(Number(counted[0].count)).toBe(1);
			const grouped = await reader.api.ok<any[]>(
				'GET',
				`/items/community_message_reactions?${inGroup}&groupBy[]=message&aggregate[count]=*`,
			);
			expect(grouped.map((row) => [Number(row.message), Number(row.count)])).toEqual([[Number(kept.id), 1]]);
			const byId = await reader.api.ok<any[]>('GET', `/items/community_message_reactions?filter[message][_eq]=${byOwner.id}`);
			expect(byId).toEqual([]);
		}
		const moderated = await instructor.api.ok<any[]>('GET', `/items/community_message_reactions?${inGroup}&aggregate[count]=*`);
		expect(Number(moderated[0].count)).toBe(3);
	});

	it('a closed chat takes no reactions (switched off, locked, archived), over REST and the socket', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const message = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'hello' });
		const socket = await open(alice);
		const admin = await asAdmin();
		const closures: Array<[Record<string, unknown>, string]> = [
			[{ chat_enabled: false }, 'CHAT_DISABLED'],
			[{ locks_at: new Date(Date.now() - 60_000).toISOString() }, 'GROUP_LOCKED'],
			[{ status: 'archived' }, 'GROUP_ARCHIVED'],
		];
		for (const [closed, code] of closures) {
			await admin.ok('PATCH', `/items/community_groups/${group.id}`, closed);
			const rest = await alice.api.post('/items/community_message_reactions', { message: message.id, emoji: '👍' });
			expect([rest.status, errorCode(rest)], code).toEqual([403, code]);
			expect((await call(socket, 'reaction:add', { message: message.id, emoji: '👍' })).error?.code, code).toBe(code);
			await admin.ok('PATCH', `/items/community_groups/${group.id}`, { chat_enabled: true, locks_at: null, status: 'active' });
		}
		expect((await call(socket, 'reaction:add', { message: message.id, emoji: '👍' })).ok).toBe(true);
	});

	it('removing is idempotent whichever device gets there first; a REST removal is broadcast', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const message = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'race me' });
		const [phone, laptop] = [await open(bob), await open(bob)];
		expect((await call(phone, 'reaction:add', { message: message.id, emoji: '🎉' })).ok).toBe(true);
		const removals = await Promise.all(
			[phone, laptop, phone, laptop].map((socket) => call(socket, 'reaction:remove', { message: message.id, emoji: '🎉' })),
		);
		for (const removal of removals) expect(removal).toMatchObject({ ok: true, data: { reactions: {}, my_reactions: [] } });
		const adds = await Promise.all([phone, laptop].map((socket) => call(socket, 'reaction:add', { message: message.id, emoji: '🎉' })));
		for (const add of adds) expect(add).toMatchObject({ ok: true, data: { reactions: { '🎉': 1 }, my_reactions: ['🎉'] } });
		// Never added: still a success.
		expect((await call(phone, 'reaction:remove', { message: message.id, emoji: '❤️' })).ok).toBe(true);

		const watcher = await open(alice);
		expect((await call(watcher, 'group:join', { group: group.id })).ok).toBe(true);
		const heard = record(watcher, 'message:reactions');
		const [reaction] = await bob.api.ok<any[]>('GET', `/items/community_message_reactions?filter[message][_eq]=${message.id}`);
		expect((await bob.api.delete(`/items/community_message_reactions/${reaction.id}`)).status).toBe(204);
		// The broadcast of the removal (the adds' own may come before it): no reactions left.
		await eventually(async () => heard.some((state) => state.message === Number(message.id) && Object.keys(state.reactions).length === 0));
		// REST keeps answering a missing reaction like an invisible one.
		expect((await bob.api.delete(`/items/community_message_reactions/${reaction.id}`)).status).toBe(403);
	});
});

describe('chat write budgets (an instance with small ones)', () => {
	let instance: DirectusInstance;
	let admin: Api;
	beforeAll(async () => {
		const db: TestDatabase = process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
		instance = await startDirectusInstance({
			db,
			env: { ...TEST_COMMUNITY_ENV, COMMUNITY_REACTION_LIMIT: '3', COMMUNITY_READ_LIMIT: '3' },
		});
		admin = new Api(instance.url, await login(instance.admin.email, instance.admin.password, instance.url));
	});
	afterAll(() => instance?.stop());

	it('socket reactions and marking unread spend their budgets and answer RATE_LIMITED', async () => {
		const course = await admin.ok<{ id: number }>('POST', '/items/courses', {
			title: 'Budgets',
			code: `B-${Date.now()}`,
			status: 'published',
		});
		const group = await eventually(
			async () => (await admin.ok<Array<{ id: number }>>('GET', `/items/community_groups?filter[course][_eq]=${course.id}`))[0],
		);
		const [role] = await admin.ok<Array<{ id: string }>>('GET', '/roles?filter[name][_eq]=Student&fields=id');
		const email = `budget-${Date.now()}@example.com`;
		const user = await admin.ok<{ id: string }>('POST', '/users', { email, password: 'secret-pass-1', role: role!.id, status: 'active' });
		await admin.ok('POST', '/items/enrollments', { user: user.id, course: course.id, role: 'student', status: 'active' });
		const token = await login(email, 'secret-pass-1', instance.url);
		const api = new Api(instance.url, token);
		expect((await api.post(`/community/groups/${group.id}/join`)).status).toBe(200);
		const message = await api.ok('POST', '/items/community_messages', { group: group.id, body: 'budget' });

		const socket = await connect({ url: instance.url, token });
		sockets.push(socket);
		// Three requests, the last two changing nothing: each spends a point; the fourth is refused.
		for (const event of ['reaction:add', 'reaction:add', 'reaction:remove'])
			expect((await call(socket, event, { message: message.id, emoji: '👍' })).ok, event).toBe(true);
		const refused = await call(socket, 'reaction:remove', { message: message.id, emoji: '👍' });
		expect(refused.error?.code).toBe('RATE_LIMITED');
		expect(refused.error?.retry_after).toBeGreaterThan(0);

		for (let i = 0; i < 3; i++) expect((await api.post(`/community/groups/${group.id}/unread`, { message: message.id })).status).toBe(200);
		const unread = await api.post(`/community/groups/${group.id}/unread`, { message: message.id });
		expect([unread.status, errorCode(unread)]).toEqual([429, 'RATE_LIMITED']);
	});
});
