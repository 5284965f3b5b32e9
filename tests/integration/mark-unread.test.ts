import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { asAdmin, createUser, enroll } from '../support/api.js';
import { communityFixture, errorCode } from '../support/community.js';
import { call, connectAs, nextEvent, record } from '../support/socket.js';

const open: Socket[] = [];
const track = (socket: Socket) => {
	open.push(socket);
	return socket;
};
afterEach(() => {
	for (const socket of open.splice(0)) socket.close();
});

describe('mark unread', () => {
	it('moves only the member’s own marker back, on all their devices; “read by” stays where it was', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const sent = [];
		for (let i = 1; i <= 5; i++) sent.push(await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: `news ${i}` }));
		const [, , third, fourth, fifth] = sent.map((message) => Number(message.id)) as [number, number, number, number, number];

		// Alice on two devices; bob in the room, watching "read by".
		const phone = track(await connectAs(alice));
		const laptop = track(await connectAs(alice));
		const b = track(await connectAs(bob));
		await call(b, 'group:join', { group: group.id });
		const receipts = record(b, 'receipt:update');
		const bobSawMarker = record(b, 'marker:update');

		const laptopRead = nextEvent(laptop, 'marker:update');
		await alice.api.ok('POST', `/community/groups/${group.id}/read`, { message: fifth });
		expect(await laptopRead).toEqual({ group: group.id, last_read_message: fifth, last_read_seq: 5, unread_after_seq: 5, unread: 0 });

		// The phone marks unread from the third message: the laptop hears it, the receipt does not move.
		const laptopUnread = nextEvent(laptop, 'marker:update');
		const unread = await call(phone, 'marker:unread', { group: group.id, message: third });
		const expected = { group: group.id, last_read_message: fifth, last_read_seq: 5, unread_after_seq: 2, unread: 3 };
		expect(unread).toEqual({ ok: true, data: expected });
		expect(await laptopUnread).toEqual(expected);
		const mine = await alice.api.ok<any>('GET', '/community/me/groups');
		expect(mine[0]).toMatchObject({ id: group.id, unread_messages: 3, last_read_seq: 5, unread_after_seq: 2 });
		expect((await call(laptop, 'group:join', { group: group.id })).data.marker).toEqual(expected);

		// Barrier: alice's next message reaches bob after anything the unread mark could have sent him.
		const sentinel = nextEvent(b, 'message:new');
		await call(phone, 'message:send', { group: group.id, body: 'sentinel', client_id: 'unread-sentinel' });
		await sentinel;
		expect(receipts).toEqual([{ group: group.id, user: alice.id, last_read_message: fifth, last_read_seq: 5 }]);
		expect(bobSawMarker).toEqual([]);
		// What bob reads of alice's marker is the receipt; her own marker is not his to read.
		const [receipt] = await bob.api.ok<any[]>(
			'GET',
			`/items/community_message_receipts?filter[group][_eq]=${group.id}&filter[user][_eq]=${alice.id}`,
		);
		// bigIntegers: PostgreSQL answers them as strings.
		expect([receipt.user, Number(receipt.last_read_message), Number(receipt.last_read_seq)]).toEqual([alice.id, fifth, 5]);
		expect(receipt).not.toHaveProperty('unread_after_seq');
		const peek = await bob.api.get(`/items/community_message_receipts?fields=unread_after_seq&filter[group][_eq]=${group.id}`);
		expect([peek.status, errorCode(peek)]).toEqual([403, 'QUERY_NOT_ALLOWED']);

		// Already unread: marking a later message unread marks nothing read.
		expect(await alice.api.ok('POST', `/community/groups/${group.id}/unread`, { message: fourth })).toEqual(expected);

		// A read moves her own marker forward again (not past what she read), then both are one again.
		const partly = await alice.api.ok('POST', `/community/groups/${group.id}/read`, { message: fourth });
		expect(partly).toEqual({ ...expected, unread_after_seq: 4, unread: 1 });
		const caughtUp = nextEvent(phone, 'marker:update');
		await call(laptop, 'receipt:read', { group: group.id, message: fifth });
		expect(await caughtUp).toEqual({ ...expected, unread_after_seq: 5, unread: 0 });
		const after = await alice.api.ok<any>('GET', '/community/me/groups');
		expect(after[0]).toMatchObject({ unread_messages: 0, last_read_seq: 5, unread_after_seq: 5 });
		const [still] = await bob.api.ok<any[]>(
			'GET',
			`/items/community_message_receipts?filter[group][_eq]=${group.id}&filter[user][_eq]=${alice.id}`,
		);
		expect(Number(still.last_read_seq)).toBe(5);
	});

	it('counts in /community/me/groups totals, and concurrent marks from two devices end consistent', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const sent = [];
		for (let i = 1; i <= 4; i++)
			sent.push(Number((await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: `m${i}` })).id));
		await alice.api.ok('POST', `/community/groups/${group.id}/read`, { message: sent[3] });
		// One device marks unread while the other reads: whichever runs last, the receipt stays at 4.
		const [marked, read] = await Promise.all([
			alice.api.post(`/community/groups/${group.id}/unread`, { message: sent[1] }),
			alice.api.post(`/community/groups/${group.id}/read`, { message: sent[2] }),
		]);
		expect([marked.status, read.status]).toEqual([200, 200]);
		const response = await alice.api.get('/community/me/groups');
		const [mine] = response.body.data;
		expect(mine.last_read_seq).toBe(4);
		// Unread-from-2 then read-3 leaves the marker at 3 (one unread); read-3 then unread-from-2 leaves it at 1 (three).
		expect([
			[3, 1],
			[1, 3],
		]).toContainEqual([mine.unread_after_seq, mine.unread_messages]);
		expect(response.body.meta.unread_messages).toBe(mine.unread_messages);
	});

	it('refuses bad input and groups or messages the caller cannot see, on REST and the socket', async () => {
		const { course, group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const message = Number((await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'mine' })).id);
		const other = await communityFixture({ students: 1 });
		const foreign = Number((await other.students[0]!.api.ok('POST', '/items/community_messages', { group: other.group.id, body: 'x' })).id);
		// Enrolled but not joined: may see the group, may not keep a marker in it.
		const visitor = await createUser('Student', 'visitor');
		await enroll(visitor, course);

		const rest: Array<[typeof alice, number, unknown, number, string]> = [
			[alice, group.id, { message: 'abc' }, 400, 'INVALID_PAYLOAD'],
			[alice, group.id, {}, 400, 'INVALID_PAYLOAD'],
			[alice, group.id, { message, extra: 1 }, 403, 'FIELD_NOT_ALLOWED'],
			[alice, group.id, { message: foreign }, 400, 'INVALID_REFERENCE'],
			[alice, group.id, { message: 999_999_999 }, 400, 'INVALID_REFERENCE'],
			[alice, other.group.id, { message: foreign }, 403, 'FORBIDDEN'],
			[alice, 999_999_999, { message }, 403, 'FORBIDDEN'],
			[visitor, group.id, { message }, 403, 'NOT_A_MEMBER'],
		];
		for (const [who, target, input, status, code] of rest) {
			const response = await who.api.post(`/community/groups/${target}/unread`, input);
			expect([response.status, errorCode(response)], JSON.stringify([target, input])).toEqual([status, code]);
		}
		const anonymous = await fetch(`${alice.api.url}/community/groups/${group.id}/unread`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ message }),
		});
		expect(anonymous.status).toBe(401);

		const socket = track(await connectAs(alice));
		for (const [payload, code] of [
			[{ group: group.id }, 'INVALID_PAYLOAD'],
			[{ group: group.id, message, extra: 1 }, 'FIELD_NOT_ALLOWED'],
			[{ group: group.id, message: foreign }, 'INVALID_REFERENCE'],
			[{ group: other.group.id, message: foreign }, 'FORBIDDEN'],
		] as const) {
			const answer = await call(socket, 'marker:unread', payload);
			expect([answer.ok, answer.error?.code], JSON.stringify(payload)).toEqual([false, code]);
		}
		const admin = await asAdmin();
		const rows = await admin.ok<any[]>('GET', `/items/community_message_receipts?filter[user][_eq]=${alice.id}`);
		expect(rows).toEqual([]);
	});
});
