import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { Api, eventually, login } from '../support/api.js';
import { enrolledCourse, type Person } from '../support/community.js';
import { freePort, startDirectusInstance, type DirectusInstance } from '../support/directus-instance.js';
import { startRedis, stopRedis } from '../support/redis.js';
import { sendChatMessage } from '../../extensions/lms-community/src/lib/community/chat-send.js';
import { openDatabase } from '../support/database.js';
import { arrives, call, connect, nextEvent, presenceEntries, record } from '../support/socket.js';

/**
 * The production topology as processes: two Directus instances on two ports, one PostgreSQL database, one
 * Redis. Whatever TEST_DB says, this file runs on PostgreSQL, because that is what several instances share.
 * The Redis is a server of the test's own (a free port, nothing kept), so the test can stop and restart it.
 */
describe('two Directus instances with PostgreSQL and Redis', () => {
	let first: DirectusInstance;
	let second: DirectusInstance;
	let adminA: Api;
	const sockets: Socket[] = [];
	let people: Record<string, Person>;
	let groupId: number;
	let redisPort: number;
	let redisServer: ChildProcess;
	let instanceEnv: Record<string, string>;

	const open = async (who: string, instance: DirectusInstance) => {
		const socket = await connect({ url: instance.url, token: await login(people[who]!.email, people[who]!.password, instance.url) });
		sockets.push(socket);
		return socket;
	};

	beforeAll(async () => {
		redisPort = await freePort();
		redisServer = await startRedis(redisPort);
		instanceEnv = {
			REDIS: `redis://127.0.0.1:${redisPort}`,
			COMMUNITY_PRESENCE_HEARTBEAT_MS: '500',
			COMMUNITY_SEND_LIMIT: '15',
			CACHE_ENABLED: 'false',
			// Both instances run the retention schedule every second: they must not both do the work.
			COMMUNITY_RETENTION_CRON: '* * * * * *',
		};
		first = await startDirectusInstance({ db: 'postgres', env: instanceEnv });
		second = await startDirectusInstance({ db: 'postgres', env: instanceEnv, shareDatabaseWith: first });
		adminA = new Api(first.url, await login(first.admin.email, first.admin.password, first.url));
		({ groupId, people } = await enrolledCourse(
			adminA,
			{ title: 'Distributed systems', code: 'DS-1' },
			['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'teacher'],
			['teacher'],
		));
	}, 240_000);

	afterAll(async () => {
		for (const socket of sockets) socket.close();
		await second?.stop();
		await first?.stop();
		if (redisServer) await stopRedis(redisServer);
	});

	it('a message sent on one instance reaches clients on the other; presence spans both', async () => {
		const a = await open('alice', first);
		const b = await open('bob', second);
		expect((await call(a, 'group:join', { group: groupId })).ok).toBe(true);
		expect((await call(b, 'group:join', { group: groupId })).ok).toBe(true);
		const online = await call(a, 'presence:get', { group: groupId });
		expect(online.data.online.sort()).toEqual([people['alice']!.id, people['bob']!.id].sort());

		const arriving = nextEvent(b, 'message:new');
		await call(a, 'message:send', { group: groupId, body: 'across the wire', client_id: 'x-1' });
		expect(await arriving).toMatchObject({ body: 'across the wire', sender: people['alice']!.id });

		const viaRest = nextEvent(a, 'message:new');
		const bobApi = new Api(second.url, await login(people['bob']!.email, people['bob']!.password, second.url));
		await bobApi.ok('POST', '/items/community_messages', { group: groupId, body: 'REST on the second instance' });
		expect((await viaRest).body).toBe('REST on the second instance');
	});

	it('concurrent senders on both instances: distinct seq in commit order, and sync returns them all in order', async () => {
		const a = await open('alice', first);
		const c = await open('carol', second);
		await call(a, 'group:join', { group: groupId });
		await call(c, 'group:join', { group: groupId });
		const before = (await call(a, 'message:sync', { group: groupId, after: 0, limit: 200 })).data.cursor;
		const sends = await Promise.all(
			Array.from({ length: 10 }, (_, i) => [
				call(a, 'message:send', { group: groupId, body: `a${i}`, client_id: `ca-${i}` }),
				call(c, 'message:send', { group: groupId, body: `c${i}`, client_id: `cc-${i}` }),
			]).flat(),
		);
		expect(sends.every((r) => r.ok)).toBe(true);
		const seqs = sends.map((r) => r.data.seq).sort((x, y) => x - y);
		expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => before + i + 1));
		const synced = await call(c, 'message:sync', { group: groupId, after: before, limit: 50 });
		expect(synced.data.messages.map((m: { seq: number }) => m.seq)).toEqual(seqs);
	});

	it('a message committed on one instance whose ack never left (the process died) is what the retry gets on the other', async () => {
		// The first instance's send path committed and died before acknowledging: the row is in the shared database.
		const database = openDatabase(first.configPath);
		try {
			const retrying = await open('frank', second);
			await call(retrying, 'group:join', { group: groupId });
			const committed = await sendChatMessage({ knex: database, spend: async () => undefined }, people['frank']!.id, {
				group: groupId,
				body: 'acked never',
				client_id: 'lost-ack-1',
			});
			const retry = await call(retrying, 'message:send', { group: groupId, body: 'acked never', client_id: 'lost-ack-1' });
			expect(retry.data).toMatchObject({ id: Number(committed.message.id), seq: Number(committed.message.seq), body: 'acked never' });
			expect(await database('community_messages').where({ sender: people['frank']!.id, client_id: 'lost-ack-1' })).toHaveLength(1);
		} finally {
			await database.destroy();
		}
	});

	it('an instance killed mid-burst: the client retries on the other, each message is stored once, seq has no gap', async () => {
		const victim = await startDirectusInstance({ db: 'postgres', env: instanceEnv, shareDatabaseWith: first });
		const database = openDatabase(first.configPath);
		try {
			const before = Number((await database('community_groups').where({ id: groupId }).first()).last_seq);
			const sender = await open('gina', victim);
			await call(sender, 'group:join', { group: groupId });
			const burst = Array.from({ length: 6 }, (_, i) => ({ group: groupId, body: `burst ${i}`, client_id: `burst-${i}` }));
			// Sent without waiting: some are committed when the process dies, some are not, some acks are lost.
			const answers = burst.map((message) => call(sender, 'message:send', message).catch(() => null));
			await victim.crash();
			await Promise.all(answers);
			const retrying = await open('gina', second);
			const retried = [];
			for (const message of burst) retried.push(await call(retrying, 'message:send', message));
			expect(retried.map((answer) => answer.ok)).toEqual(burst.map(() => true));
			const stored = await database('community_messages').where({ sender: people['gina']!.id }).whereLike('client_id', 'burst-%');
			expect(stored.map((row) => row.client_id).sort()).toEqual(burst.map((message) => message.client_id).sort());
			const seqs = (await database('community_messages').where({ group: groupId }).andWhere('seq', '>', before).orderBy('seq')).map((row) =>
				Number(row.seq),
			);
			expect(seqs).toEqual(seqs.map((_seq, index) => before + index + 1));
		} finally {
			await database.destroy();
			await victim.stop();
		}
	}, 120_000);

	it("revocation on one instance removes the member's sockets on the other", async () => {
		const teacher = new Api(first.url, await login(people['teacher']!.email, people['teacher']!.password, first.url));
		const a = await open('alice', first);
		const b = await open('bob', second);
		await call(a, 'group:join', { group: groupId });
		await call(b, 'group:join', { group: groupId });
		const [member] = await adminA.ok<Array<{ id: number }>>(
			'GET',
			`/items/community_members?filter[group][_eq]=${groupId}&filter[user][_eq]=${people['bob']!.id}`,
		);
		const removed = nextEvent(b, 'group:removed');
		await teacher.ok('PATCH', `/items/community_members/${member!.id}`, { status: 'muted' });
		await teacher.ok('PATCH', `/items/community_members/${member!.id}`, { status: 'banned' });
		expect(await removed).toEqual({ group: groupId, reason: 'banned' });
		const leak = record(b, 'message:new');
		// Barrier: carol on bob's instance gets the message; by then bob would have had it, before any later answer.
		const c = await open('carol', second);
		await call(c, 'group:join', { group: groupId });
		const witnessed = nextEvent(c, 'message:new');
		await call(a, 'message:send', { group: groupId, body: 'not for bob', client_id: 'rv-1' });
		expect(await witnessed).toMatchObject({ body: 'not for bob' });
		expect((await call(b, 'presence:get', { group: groupId })).error.code).toBe('NOT_JOINED');
		expect(leak).toEqual([]);
	});

	it('suspending a user on one instance ends their sockets on both with auth:revoked', async () => {
		const onFirst = await open('erin', first);
		const onSecond = await open('erin', second);
		const revoked = [nextEvent(onFirst, 'auth:revoked'), nextEvent(onSecond, 'auth:revoked')];
		await adminA.ok('PATCH', `/users/${people['erin']!.id}`, { status: 'suspended' });
		expect(await Promise.all(revoked)).toEqual([
			expect.objectContaining({ code: 'USER_INACTIVE' }),
			expect.objectContaining({ code: 'USER_INACTIVE' }),
		]);
	});

	it('rate limits are shared: the same person on two instances hits one limit', async () => {
		const a = await open('dave', first);
		const c = await open('dave', second);
		await call(a, 'group:join', { group: groupId });
		await call(c, 'group:join', { group: groupId });
		const results = [];
		for (let i = 0; i < 8; i++) {
			results.push(await call(a, 'message:send', { group: groupId, body: `l${i}`, client_id: `la-${i}` }));
			results.push(await call(c, 'message:send', { group: groupId, body: `l${i}`, client_id: `lc-${i}` }));
		}
		expect(results.filter((r) => !r.ok).map((r) => r.error.code)).toEqual(['RATE_LIMITED']);
	});

	it('retention runs once across instances: each message is purged by one run, recorded once', async () => {
		const [studentRole] = await adminA.ok<Array<{ id: string }>>('GET', '/roles?filter[name][_eq]=Student');
		const password = randomBytes(8).toString('hex');
		const email = `erin-${randomBytes(3).toString('hex')}@example.com`;
		const erin = await adminA.ok<{ id: string }>('POST', '/users', { email, password, role: studentRole!.id, status: 'active' });
		const course = await adminA.ok<{ id: number }>('POST', '/items/courses', {
			title: 'Last term',
			code: `LT-${randomBytes(3).toString('hex')}`,
		});
		await adminA.ok('POST', '/items/enrollments', { user: erin.id, course: course.id, role: 'student', status: 'active' });
		const group = await eventually(
			async () => (await adminA.ok<Array<{ id: number }>>('GET', `/items/community_groups?filter[course][_eq]=${course.id}`))[0],
		);
		const onFirst = new Api(first.url, await login(email, password, first.url));
		const onSecond = new Api(second.url, await login(email, password, second.url));
		await onFirst.ok('POST', `/community/groups/${group.id}/join`);
		for (let i = 0; i < 4; i++)
			await (i % 2 ? onSecond : onFirst).ok('POST', '/items/community_messages', { group: group.id, body: `old ${i}` });

		const adminB = new Api(second.url, await login(second.admin.email, second.admin.password, second.url));
		await adminB.ok('PATCH', `/items/community_groups/${group.id}`, {
			retention_days: 0,
			retention_action: 'purge',
			ends_at: new Date(Date.now() - 86_400_000).toISOString(),
		});
		const log = () =>
			adminA.ok<any[]>('GET', `/items/community_privacy_log?filter[action][_eq]=retention&filter[group][_eq]=${group.id}&sort=id`);
		const messages = () => adminA.ok<any[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}`);
		await eventually(async () => (await messages()).length === 0 && (await log()).length === 1, 20_000);
		// Barrier: a new message is purged by a later run; every run between found nothing and recorded nothing.
		await onSecond.ok('POST', '/items/community_messages', { group: group.id, body: 'new' });
		await eventually(async () => (await messages()).length === 0 && (await log()).length === 2, 20_000);
		expect((await log()).map((entry) => entry.counts)).toEqual([{ messages_purged: 4 }, { messages_purged: 1 }]);
	});

	it('Redis down: no instance dies and sends persist; Redis back: delivery resumes, presence returns, sync heals the gap', async () => {
		// The teacher is only on the first instance, carol only on the second.
		const a = await open('teacher', first);
		const t = await open('carol', second);
		await call(a, 'group:join', { group: groupId });
		await call(t, 'group:join', { group: groupId });
		const seen = record(t, 'message:new');
		await stopRedis(redisServer);
		let during;
		try {
			// Redis is dead from here on, whether or not the instances have noticed yet.
			during = await call(a, 'message:send', { group: groupId, body: 'while redis was down', client_id: 'rd-1' });
		} finally {
			redisServer = await startRedis(redisPort);
		}
		expect(during.ok, JSON.stringify(during)).toBe(true);
		// Probes published before the second instance subscribes again are lost (sync heals them): send until one crosses.
		let probes = 0;
		await eventually(
			async () => {
				const probe = await call(a, 'message:send', { group: groupId, body: 'after the outage', client_id: `rd-probe-${++probes}` });
				return probe.ok && (await arrives(seen, (m) => m.id === probe.data.id, 1_000));
			},
			30_000,
			'delivery across instances',
		);
		// Redis came back empty: each instance writes its users' presence back at once.
		const sees = (socket: Socket, user: string) => async () =>
			(await call(socket, 'presence:get', { group: groupId })).data.online.includes(people[user]!.id);
		await eventually(sees(a, 'carol'), 2_000, "carol's presence on the first instance");
		await eventually(sees(t, 'teacher'), 2_000, "the teacher's presence on the second instance");
		for (const instance of [first, second]) expect(instance.alive() && (await fetch(`${instance.url}/server/ping`)).ok).toBe(true);
		const healed = await call(t, 'message:sync', { group: groupId, after: during.data.seq - 1, limit: 5 });
		expect(healed.data.messages[0]).toMatchObject({ id: during.data.id, body: 'while redis was down' });
	});

	it('an instance killed with SIGKILL drops its users from presence within a few heartbeats', async () => {
		const a = await open('alice', first);
		const c = await open('carol', second);
		await call(a, 'group:join', { group: groupId });
		await call(c, 'group:join', { group: groupId });
		const presence = record(a, 'presence');
		await second.crash();
		const startedAt = Date.now();
		await eventually(async () => presenceEntries(presence).some((p) => p.user === people['carol']!.id && !p.online), 10_000);
		expect(Date.now() - startedAt).toBeLessThan(5_000);
		const online = await call(a, 'presence:get', { group: groupId });
		expect(online.data.online).not.toContain(people['carol']!.id);
	});
});
