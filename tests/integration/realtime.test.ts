import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { asAdmin, createCourse, createGroup, createUser, directusUrl, enroll, eventually, login } from '../support/api.js';
import { communityFixture, membershipOf } from '../support/community.js';
import { call, connect, connectAs, nextEvent, presenceEntries, record, signToken } from '../support/socket.js';

const open: Socket[] = [];
const track = (socket: Socket) => {
	open.push(socket);
	return socket;
};
afterEach(() => {
	for (const socket of open.splice(0)) socket.close();
});

const refusal = (promise: Promise<unknown>) =>
	promise.then(
		() => 'connected',
		(error: { data?: { code?: string } }) => error.data?.code ?? 'no code',
	);

describe('socket auth', () => {
	it('refuses missing, forged, expired and none-signed tokens and suspended users, each with a code', async () => {
		const user = await createUser('Student', 'sock');
		const payload = { id: user.id };
		expect(await refusal(connect({}))).toBe('TOKEN_MISSING');
		expect(await refusal(connect({ token: 'garbage' }))).toBe('TOKEN_INVALID');
		expect(await refusal(connect({ token: signToken(payload, { secret: 'another-secret-of-some-length' }) }))).toBe('TOKEN_INVALID');
		expect(await refusal(connect({ token: signToken(payload, { expiresIn: -10 }) }))).toBe('TOKEN_EXPIRED');
		const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...payload, role: null, app_access: false, admin_access: false, iss: 'directus', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url')}.`;
		expect(await refusal(connect({ token: unsigned }))).toBe('TOKEN_INVALID');
		expect(await refusal(connect({ token: await login(user.email, user.password), origin: 'http://evil.example.com' }))).not.toBe(
			'connected',
		);
		const ok = track(await connect({ token: await login(user.email, user.password), origin: 'http://app.example.com' }));
		expect(ok.connected).toBe(true);
		await (await asAdmin()).ok('PATCH', `/users/${user.id}`, { status: 'suspended' });
		expect(await refusal(connect({ token: signToken(payload) }))).toBe('USER_INACTIVE');
	});

	it('auth:refresh keeps the connection; an unrefreshed token ends it with auth:expired', async () => {
		const user = await createUser('Student', 'expiring');
		const other = await createUser('Student', 'other');
		// The refreshed socket's first token ends a second before the other socket's token, which is never refreshed.
		const exp = Math.floor(Date.now() / 1000) + 3;
		const socket = track(await connect({ token: signToken({ id: user.id, exp }) }));
		const unrefreshed = track(await connect({ token: signToken({ id: user.id, exp: exp + 1 }) }));
		const expiredOnRefreshed = record(socket, 'auth:expired');
		const expired = nextEvent(unrefreshed, 'auth:expired', 6_000);
		const closed = nextEvent(unrefreshed, 'disconnect', 6_000);
		const refreshed = await call(socket, 'auth:refresh', { token: signToken({ id: user.id }) });
		expect(refreshed.ok).toBe(true);
		const stolen = await call(socket, 'auth:refresh', { token: signToken({ id: other.id }) });
		expect(stolen.error.code).toBe('TOKEN_INVALID');
		expect(await expired).toEqual({ code: 'TOKEN_EXPIRED' });
		await closed;
		// Barrier: the first token's end is past; an answer on its socket comes after any event its timer would have sent.
		expect((await call(socket, 'presence:get', { group: 1 })).error.code).toBe('NOT_JOINED');
		expect(expiredOnRefreshed).toEqual([]);
		expect(socket.connected).toBe(true);
	});
});

describe('chat over the socket', () => {
	it('joins with the REST chain, sends once, broadcasts once (REST too), retries idempotently', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const stranger = await createUser('Student', 'stranger');
		const strangerSocket = track(await connectAs(stranger));
		expect((await call(strangerSocket, 'group:join', { group: group.id })).error.code).toBe('NOT_ENROLLED');

		const a = track(await connectAs(alice));
		const b = track(await connectAs(bob));
		const joined = await call(a, 'group:join', { group: group.id });
		expect(joined.ok).toBe(true);
		expect(joined.data).toMatchObject({
			group: group.id,
			member: { role: 'student', status: 'active' },
			marker: { last_read_seq: 0, unread: 0 },
		});
		await call(b, 'group:join', { group: group.id });
		const received = record(b, 'message:new');

		const sent = await call(a, 'message:send', { group: group.id, body: 'hello <b>bob</b>', client_id: 'a-1' });
		expect(sent.ok).toBe(true);
		expect(sent.data).toMatchObject({ group: group.id, sender: alice.id, body: 'hello &lt;b>bob&lt;/b>', seq: 1, client_id: 'a-1' });
		const retry = await call(a, 'message:send', { group: group.id, body: 'hello <b>bob</b>', client_id: 'a-1' });
		expect(retry.data.id).toBe(sent.data.id);
		await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'from REST' });
		// Barrier: a later message arrives after a second broadcast of the first two would have.
		await call(a, 'message:send', { group: group.id, body: 'sentinel', client_id: 'a-2' });
		await eventually(async () => received.some((m) => m.body === 'sentinel'));
		expect(received.map((m) => m.body)).toEqual(['hello &lt;b>bob&lt;/b>', 'from REST', 'sentinel']);

		expect((await call(a, 'message:send', { group: group.id, body: 'x'.repeat(4_001), client_id: 'long' })).error.code).toBe(
			'BODY_TOO_LONG',
		);
		expect((await call(a, 'message:send', { group: group.id, body: 'hi', client_id: 'c', sender: bob.id })).error.code).toBe(
			'FIELD_NOT_ALLOWED',
		);
		expect((await call(a, 'message:send', { group: 'nope' })).error.code).toBe('INVALID_PAYLOAD');
		expect((await call(a, 'message:send')).error.code).toBe('INVALID_PAYLOAD');
		a.emit('no:such:event', { anything: true });
		expect((await call(a, 'presence:get', { group: group.id })).ok).toBe(true);
	});

	it('edits and deletes reach the group; sync after a disconnect returns what was missed, in order, once', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const a = track(await connectAs(alice));
		let b = track(await connectAs(bob));
		await call(a, 'group:join', { group: group.id });
		await call(b, 'group:join', { group: group.id });
		const first = await call(a, 'message:send', { group: group.id, body: 'first', client_id: 's-0' });
		const updated = nextEvent(b, 'message:updated');
		await call(a, 'message:edit', { message: first.data.id, body: 'first (edited)' });
		expect(await updated).toMatchObject({ id: first.data.id, body: 'first (edited)' });
		const deleted = nextEvent(b, 'message:deleted');
		await call(a, 'message:delete', { message: first.data.id });
		expect(await deleted).toMatchObject({ id: first.data.id, body: '' });

		const cursor = first.data.seq;
		b.close();
		for (let i = 1; i <= 7; i++) await call(a, 'message:send', { group: group.id, body: `missed ${i}`, client_id: `s-${i}` });
		b = track(await connectAs(bob));
		const page1 = await call(b, 'message:sync', { group: group.id, after: cursor, limit: 5 });
		expect(page1.data.has_more).toBe(true);
		const page2 = await call(b, 'message:sync', { group: group.id, after: page1.data.cursor, limit: 5 });
		expect(page2.data.has_more).toBe(false);
		const bodies = [...page1.data.messages, ...page2.data.messages].map((m: { body: string }) => m.body);
		expect(bodies).toEqual(Array.from({ length: 7 }, (_, i) => `missed ${i + 1}`));
		const outsider = (await communityFixture({ students: 1 })).students[0]!;
		const o = track(await connectAs(outsider));
		expect((await call(o, 'message:sync', { group: group.id })).error.code).toBe('FORBIDDEN');
	});

	it('typing reaches the others and ends by itself; presence counts devices; receipts and notifications arrive', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const otherCourse = await createCourse();
		const other = await createGroup(otherCourse);
		for (const student of [alice, bob]) await enroll(student, otherCourse);
		const b = track(await connectAs(bob));
		await call(b, 'group:join', { group: group.id });
		await call(b, 'group:join', { group: other.id });
		const presence = record(b, 'presence');
		const a1 = track(await connectAs(alice));
		const a2 = track(await connectAs(alice));
		expect((await call(a1, 'typing:start', { group: group.id })).error.code).toBe('NOT_JOINED');
		await call(a1, 'group:join', { group: group.id });
		await call(a2, 'group:join', { group: group.id });
		await call(a1, 'group:join', { group: other.id });
		expect((await call(b, 'presence:get', { group: group.id })).data.online.sort()).toEqual([alice.id, bob.id].sort());

		const typing = record(b, 'typing');
		await call(a1, 'typing:start', { group: group.id });
		await call(a1, 'typing:start', { group: group.id });
		await eventually(async () => typing.length === 2, 3_000);
		expect(typing).toEqual([
			{ group: group.id, user: alice.id, typing: true, expires_in: 800 },
			{ group: group.id, user: alice.id, typing: false },
		]);

		// a1 is alice's only device in the other group: its close takes her offline there, after the first group is handled.
		a1.close();
		const aliceChanges = () => presenceEntries(presence).filter((entry) => entry.user === alice.id);
		await eventually(async () => aliceChanges().some((entry) => entry.group === other.id && !entry.online));
		expect(aliceChanges()).toEqual([
			{ group: group.id, user: alice.id, online: true },
			{ group: other.id, user: alice.id, online: true },
			{ group: other.id, user: alice.id, online: false },
		]);
		a2.close();
		await eventually(async () => aliceChanges().length === 4);
		expect(aliceChanges()[3]).toEqual({ group: group.id, user: alice.id, online: false });

		const a = track(await connectAs(alice));
		await call(a, 'group:join', { group: group.id });
		// Listening before the send: the push may reach alice before bob's ack reaches bob.
		const mention = nextEvent(a, 'notification:new');
		const message = await call(b, 'message:send', { group: group.id, body: `hey <@${alice.id}>`, client_id: 'm-1' });
		const notification = await mention;
		expect(notification).toMatchObject({ type: 'message_mention', recipient: alice.id, actor: bob.id });
		const receipt = nextEvent(b, 'receipt:update');
		const marker = await call(a, 'receipt:read', { group: group.id, message: message.data.id });
		expect(marker.data).toMatchObject({ last_read_seq: 1, unread: 0 });
		expect(await receipt).toEqual({ group: group.id, user: alice.id, last_read_message: message.data.id, last_read_seq: 1 });

		// REST's read marker tells the room the same way (docs/realtime.md).
		const second = await call(b, 'message:send', { group: group.id, body: 'and again', client_id: 'm-2' });
		const restReceipt = nextEvent(b, 'receipt:update');
		await alice.api.ok('POST', `/community/groups/${group.id}/read`, { message: second.data.id });
		expect(await restReceipt).toEqual({ group: group.id, user: alice.id, last_read_message: second.data.id, last_read_seq: 2 });
	});

	it("revocation: a banned member's sockets leave the group at once and receive nothing more", async () => {
		const { group, instructor, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const a = track(await connectAs(alice));
		const b1 = track(await connectAs(bob));
		const b2 = track(await connectAs(bob));
		for (const socket of [a, b1, b2]) await call(socket, 'group:join', { group: group.id });
		const removed = nextEvent(b2, 'group:removed');
		const presence = record(a, 'presence');
		await instructor.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, bob)).id}`, { status: 'banned' });
		expect(await removed).toEqual({ group: group.id, reason: 'banned' });
		await eventually(async () => presenceEntries(presence).some((entry) => entry.user === bob.id && !entry.online));
		expect(presenceEntries(presence).filter((entry) => !entry.online)).toEqual([{ group: group.id, user: bob.id, online: false }]);
		const afterBan = [...record(b1, 'message:new'), ...record(b2, 'message:new')];
		const seenByAlice = nextEvent(a, 'message:new');
		expect((await call(a, 'message:send', { group: group.id, body: 'can bob see this?', client_id: 'r-1' })).ok).toBe(true);
		await seenByAlice;
		// Barrier: an answer on each of bob's connections comes after the broadcast alice got.
		expect((await call(b1, 'message:send', { group: group.id, body: 'let me in', client_id: 'r-2' })).error.code).toBe('MEMBER_BANNED');
		expect((await call(b2, 'presence:get', { group: group.id })).error.code).toBe('NOT_JOINED');
		expect(afterBan).toEqual([]);
	});

	it('revocation: losing the enrollment or leaving removes the sockets too', async () => {
		const admin = await asAdmin();
		const { course, group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const a = track(await connectAs(alice));
		const b = track(await connectAs(bob));
		await call(a, 'group:join', { group: group.id });
		await call(b, 'group:join', { group: group.id });
		const [enrollment] = await admin.ok<any[]>('GET', `/items/enrollments?filter[user][_eq]=${bob.id}&filter[course][_eq]=${course.id}`);
		const bobRemoved = nextEvent(b, 'group:removed');
		await admin.ok('PATCH', `/items/enrollments/${enrollment.id}`, { status: 'cancelled' });
		expect(await bobRemoved).toEqual({ group: group.id, reason: 'expired' });
		const aliceRemoved = nextEvent(a, 'group:removed');
		await alice.api.ok('POST', `/community/groups/${group.id}/leave`);
		expect(await aliceRemoved).toEqual({ group: group.id, reason: 'left' });
		expect((await call(a, 'presence:get', { group: group.id })).error.code).toBe('NOT_JOINED');
	});

	it("an oversized frame closes only the sender's connection", async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const a = track(await connectAs(alice));
		const b = track(await connectAs(bob));
		await call(a, 'group:join', { group: group.id });
		await call(b, 'group:join', { group: group.id });
		const closed = nextEvent(a, 'disconnect');
		a.emit('message:send', { group: group.id, body: 'x'.repeat(70_000), client_id: 'big' });
		await closed;
		const fine = await call(b, 'message:send', { group: group.id, body: 'still here', client_id: 'small' });
		expect(fine.ok).toBe(true);
		expect(await bob.api.ok<unknown[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}`)).toHaveLength(1);
	});

	it('rate limits answer RATE_LIMITED with retry_after', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const a = track(await connectAs(students[0]!));
		await call(a, 'group:join', { group: group.id });
		const results = [];
		for (let i = 0; i < 16; i++)
			results.push(await call(a, 'message:send', { group: group.id, body: `spam ${i}`, client_id: `spam-${i}` }));
		const limited = results.filter((r) => !r.ok);
		expect(limited).toHaveLength(1);
		expect(limited[0]!.error.code).toBe('RATE_LIMITED');
		expect(limited[0]!.error.retry_after).toBeGreaterThan(0);
	});
});

describe('side by side with Directus realtime', () => {
	it("Directus's own /websocket keeps working next to /community/socket.io", async () => {
		const { admin } = await import('vitest').then(({ inject }) => inject('directus'));
		const url = directusUrl().replace('http', 'ws') + '/websocket';
		const ws = new WebSocket(url);
		const replies: Array<Record<string, unknown>> = [];
		ws.addEventListener('message', (event) => replies.push(JSON.parse(String(event.data))));
		await new Promise((resolve, reject) => {
			ws.addEventListener('open', resolve);
			ws.addEventListener('error', reject);
		});
		ws.send(JSON.stringify({ type: 'auth', email: admin.email, password: admin.password }));
		await eventually(async () => replies.some((r) => r['type'] === 'auth' && r['status'] === 'ok')).catch(() => {
			throw new Error(`no auth ok in ${JSON.stringify(replies)}`);
		});
		ws.send(JSON.stringify({ type: 'items', collection: 'courses', action: 'read', query: { limit: 1 }, uid: 'q1' }));
		await eventually(async () => replies.some((r) => r['uid'] === 'q1' && r['type'] === 'items' && Array.isArray(r['data']))).catch(() => {
			throw new Error(`no items answer in ${JSON.stringify(replies)}`);
		});
		ws.close();
		const user = await createUser('Student', 'both');
		const socket = track(await connectAs(user));
		expect(socket.connected).toBe(true);
	});
});
