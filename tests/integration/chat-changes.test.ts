import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { asAdmin, createUser, eventually } from '../support/api.js';
import { communityFixture, errorCode, membershipOf, notificationsOf } from '../support/community.js';
import { call, connectAs, record } from '../support/socket.js';

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
