import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, eventually, login } from '../support/api.js';
import { enrolledCourse, type Person } from '../support/community.js';
import { freePort, startDirectusInstance, type DirectusInstance } from '../support/directus-instance.js';
import { sentinelMaster, startRedis, startSentinel, stopRedis } from '../support/redis.js';
import { call, connect, nextEvent } from '../support/socket.js';

const MASTER_NAME = 'lms-master';

/**
 * Redis behind Sentinel, configured as Directus takes it: no `REDIS`, only `REDIS_SENTINELS` and `REDIS_NAME`. A
 * master, its replica and one sentinel of the test's own; two instances sharing PostgreSQL (so it runs in the
 * TEST_DB=postgres pass).
 */
describe.runIf(process.env['TEST_DB'] === 'postgres')('Redis through Sentinel (REDIS_SENTINELS, REDIS_NAME)', () => {
	let first: DirectusInstance;
	let second: DirectusInstance;
	const servers: ChildProcess[] = [];
	const sockets: Socket[] = [];
	let people: Record<string, Person>;
	let groupId: number;
	let masterPort: number;
	let replicaPort: number;
	let sentinelPort: number;

	const open = async (who: string, instance: DirectusInstance) => {
		const socket = await connect({ url: instance.url, token: await login(people[who]!.email, people[who]!.password, instance.url) });
		sockets.push(socket);
		expect((await call(socket, 'group:join', { group: groupId })).ok).toBe(true);
		return socket;
	};
	const health = async (instance: DirectusInstance) => (await new Api(instance.url).get('/community/health')).body.data;
	const keysIn = async (port: number) => {
		const client = createClient({ url: `redis://127.0.0.1:${port}` });
		await client.connect();
		try {
			return await client.keys('lms-community:*');
		} finally {
			await client.quit();
		}
	};
	/** `from` sends until `to` gets it (the first sends after a failover may go out before the reconnection). */
	const delivered = async (from: Socket, to: Socket, label: string) => {
		for (let attempt = 0; attempt < 40; attempt++) {
			const arriving = nextEvent<{ body: string }>(to, 'message:new', 1_000).catch(() => null);
			const sent = await call(from, 'message:send', { group: groupId, body: `${label} ${attempt}`, client_id: `${label}-${attempt}` });
			if (sent.ok && (await arriving)?.body === `${label} ${attempt}`) return true;
		}
		return false;
	};

	beforeAll(async () => {
		[masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
		// A replica saves what it syncs to its working directory: a temporary one, not the repository.
		const dir = ['--dir', mkdtempSync(path.join(tmpdir(), 'lms-community-redis-'))];
		servers.push(await startRedis(masterPort, dir));
		servers.push(await startRedis(replicaPort, [...dir, '--replicaof', '127.0.0.1', String(masterPort)]));
		servers.push(await startSentinel(sentinelPort, MASTER_NAME, masterPort));
		const env = {
			// Directus casts a value with a comma to a list unless it is marked as JSON.
			REDIS_SENTINELS: `json:[{"host":"127.0.0.1","port":${sentinelPort}}]`,
			REDIS_NAME: MASTER_NAME,
			COMMUNITY_PRESENCE_HEARTBEAT_MS: '500',
			COMMUNITY_SEND_LIMIT: '1000',
		};
		first = await startDirectusInstance({ db: 'postgres', env });
		second = await startDirectusInstance({ db: 'postgres', env, shareDatabaseWith: first });
		const admin = new Api(first.url, await login(first.admin.email, first.admin.password, first.url));
		({ groupId, people } = await enrolledCourse(admin, { title: 'Failover', code: 'HA-1' }, ['alice', 'bob', 'carol', 'dave']));
	}, 240_000);

	afterAll(async () => {
		for (const socket of sockets) socket.close();
		await second?.stop();
		await first?.stop();
		for (const server of servers.reverse()) await stopRedis(server);
	});

	it("both instances use the Sentinel's master: health, presence keys in the master, messages across instances", async () => {
		const [one, two] = [await health(first), await health(second)];
		expect(one).toMatchObject({ status: 'ok', checks: { redis: { status: 'ok' } } });
		expect(two).toMatchObject({ status: 'ok', checks: { redis: { status: 'ok' } } });

		const alice = await open('alice', first);
		const bob = await open('bob', second);
		const online = await call(alice, 'presence:get', { group: groupId });
		expect(online.data.online.sort()).toEqual([people['alice']!.id, people['bob']!.id].sort());
		expect(await delivered(alice, bob, 'first to second')).toBe(true);
		expect(await delivered(bob, alice, 'second to first')).toBe(true);

		// Each instance's presence lives in the master, under its instance id.
		const keys = await keysIn(masterPort);
		for (const instance of [one.instance, two.instance]) expect(keys.some((key) => key.includes(instance))).toBe(true);
		// Several instances on Redis, without Directus's own stores there: said at start.
		expect(readFileSync(first.logFile, 'utf8')).toContain('several instances share Redis, but CACHE_STORE is not redis');
	});

	it('after a Sentinel failover both instances follow the new master', async () => {
		const alice = await open('alice', first);
		const bob = await open('bob', second);
		const sentinel = createClient({ url: `redis://127.0.0.1:${sentinelPort}`, disableClientInfo: true });
		await sentinel.connect();
		await sentinel.sendCommand(['SENTINEL', 'FAILOVER', MASTER_NAME]);
		await sentinel.disconnect();
		await eventually(async () => (await sentinelMaster(sentinelPort, MASTER_NAME)) === replicaPort, 20_000, 'the replica promoted');

		expect(await delivered(alice, bob, 'after failover, first to second')).toBe(true);
		expect(await delivered(bob, alice, 'after failover, second to first')).toBe(true);
		// Joins write presence: on the demoted master they would fail (READONLY), so both instances write to the new one.
		const carol = await open('carol', first);
		await open('dave', second);
		const online = await eventually(async () => {
			const answer = await call(carol, 'presence:get', { group: groupId });
			return [people['carol']!.id, people['dave']!.id].every((id) => answer.data.online.includes(id)) ? answer : null;
		}, 10_000);
		expect(online.ok).toBe(true);
	});
});
