import { afterEach, describe, expect, it } from 'vitest';
import { asAdmin } from '../support/api.js';
import { communityFixture, errorCode } from '../support/community.js';
import { call, connectAs, nextEvent } from '../support/socket.js';
import type { Socket } from 'socket.io-client';

const sockets: Socket[] = [];
const track = (socket: Socket) => (sockets.push(socket), socket);
afterEach(() => {
	for (const socket of sockets.splice(0)) socket.close();
});

describe('limits on every write path', () => {
	it('REST and the socket spend one message budget (15 per 10 s in tests)', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const socket = track(await connectAs(alice));
		await call(socket, 'group:join', { group: group.id });
		for (let i = 0; i < 15; i++)
			await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: `m${i}`, client_id: `c${i}` });
		const rest = await alice.api.post('/items/community_messages', { group: group.id, body: 'one too many', client_id: 'c15' });
		expect([rest.status, errorCode(rest)]).toEqual([429, 'RATE_LIMITED']);
		expect(rest.body.errors[0].extensions.retry_after).toBeGreaterThan(0);
		const sent = await call(socket, 'message:send', { group: group.id, body: 'socket too', client_id: 'c16' });
		expect([sent.ok, sent.error?.code]).toEqual([false, 'RATE_LIMITED']);
		const stored = await (await asAdmin()).ok<any[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}&aggregate[count]=*`);
		expect(Number(stored[0].count)).toBe(15);
	});

	it('one request writes at most MAX_BATCH_MUTATION items, and a refused batch writes nothing', async () => {
		const { group } = await communityFixture({ students: 0 });
		const batch = Array.from({ length: 101 }, (_, i) => ({ group: group.id, body: `b${i}`, client_id: `b${i}` }));
		// As the admin, whom no rate limit stops first: the batch cap holds for everyone.
		const response = await (await asAdmin()).post('/items/community_messages', batch);
		expect([response.status, errorCode(response)]).toEqual([400, 'INVALID_PAYLOAD']);
		const stored = await (await asAdmin()).ok<any[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}&aggregate[count]=*`);
		expect(Number(stored[0].count)).toBe(0);
	});

	it('a user holds at most COMMUNITY_SOCKETS_PER_USER live sockets: the oldest is closed with a code', async () => {
		const { students } = await communityFixture({ students: 1 });
		const oldest = track(await connectAs(students[0]!));
		const closed = nextEvent(oldest, 'connection:closed', 5_000);
		for (let i = 0; i < 4; i++) track(await connectAs(students[0]!));
		expect(await closed).toMatchObject({ code: 'TOO_MANY_CONNECTIONS' });
	});
});
