import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, eventually, login } from '../support/api.js';
import { enrolledCourse, type Person } from '../support/community.js';
import { openDatabase } from '../support/database.js';
import { freePort, PG_CONNECTION, startDirectusInstance, type DirectusInstance } from '../support/directus-instance.js';
import { startRedis, stopRedis } from '../support/redis.js';
import { call, connect, record } from '../support/socket.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const REDIS_RESTARTS = 10;
const HEARTBEAT_MS = 500;

interface Wire {
	id: number;
	seq: number;
	sender: string;
	client_id: string;
}

/**
 * One member sending over one socket, one message after the other, as a phone would: a refused send is retried
 * with the same client_id until it is acknowledged. It records what was acknowledged (and when), what it
 * received from the other side, each refusal's code, and any disconnect.
 */
class Member {
	readonly acked: Array<Wire & { at: number }> = [];
	readonly received: Wire[];
	readonly refusals: Array<{ code: string; at: number }> = [];
	readonly disconnects: string[] = [];
	private running: Promise<void> | null = null;
	private stopped = false;

	constructor(
		readonly name: 'alice' | 'bob',
		readonly socket: Socket,
		private readonly group: number,
	) {
		this.received = record<Wire>(socket, 'message:new');
		socket.on('disconnect', (reason: string) => this.disconnects.push(reason));
	}

	start(): void {
		this.running = this.loop();
	}

	async stop(): Promise<void> {
		this.stopped = true;
		await this.running;
	}

	ackedSince(at: number): Wire[] {
		return this.acked.filter((message) => message.at >= at);
	}

	private async loop(): Promise<void> {
		for (let n = 1; !this.stopped;) {
			const payload = { group: this.group, body: `${this.name} ${n}`, client_id: `${this.name}-${n}` };
			// Longer than a send may wait on Directus's own Redis client in an outage (about 11 s).
			const answer = await this.socket
				.timeout(20_000)
				.emitWithAck('message:send', payload)
				.catch(() => ({ ok: false, data: null, error: { code: 'NO_ANSWER' } }));
			if (answer.ok) {
				this.acked.push({ ...answer.data, at: Date.now() });
				n++;
			} else {
				this.refusals.push({ code: answer.error.code, at: Date.now() });
				// A phone would wait retry_after; the test only keeps a refused sender from spinning.
				await new Promise((resolve) => setTimeout(resolve, 50));
			}
		}
	}
}

/**
 * Faults under traffic, the hard way: two instances share PostgreSQL and a Redis of the test's own, while a member
 * on each sends to the other without pause. Redis is killed and restarted empty ten times, each time once both
 * instances have found it gone, then kept away once until Directus's own Redis client has given up on what it
 * queued (about 11 s); then the second instance's database connection is cut (it reaches PostgreSQL through a TCP
 * proxy of the test, so no one else's connections are touched) and restored. Neither process may end, no client
 * may be dropped, every acknowledged message must be stored and reach the other member live or through
 * message:sync, every refusal must be the retryable SERVICE_UNAVAILABLE, and delivery and presence must come back
 * after every fault. It always runs on PostgreSQL, so it runs once per `npm test` run, in the PostgreSQL pass.
 */
describe.runIf(process.env['TEST_DB'] === 'postgres')('faults under traffic: Redis restarts, a database cut', () => {
	let first: DirectusInstance;
	let second: DirectusInstance;
	let redisPort: number;
	let redis: ChildProcess;
	let proxy: TcpProxy;
	let database: Knex;
	let group: number;
	let people: Record<'alice' | 'bob', Person>;
	const sockets: Socket[] = [];

	beforeAll(async () => {
		redisPort = await freePort();
		redis = await startRedis(redisPort);
		proxy = await startTcpProxy(PG_CONNECTION);
		const env = {
			REDIS: `redis://127.0.0.1:${redisPort}`,
			COMMUNITY_PRESENCE_HEARTBEAT_MS: String(HEARTBEAT_MS),
			COMMUNITY_ACCESS_RECHECK_MS: '300',
			COMMUNITY_SEND_LIMIT: '100000',
			COMMUNITY_SYNC_LIMIT: '100000',
			COMMUNITY_PRESENCE_LIMIT: '100000',
		};
		first = await startDirectusInstance({ db: 'postgres', env });
		second = await startDirectusInstance({ db: 'postgres', env: { ...env, DB_PORT: String(proxy.port) }, shareDatabaseWith: first });
		database = openDatabase(first.configPath);
		const admin = new Api(first.url, await login(first.admin.email, first.admin.password, first.url));
		({ groupId: group, people } = await enrolledCourse(admin, { title: 'Faults', code: 'F-1' }, ['alice', 'bob'] as const));
	}, 240_000);

	afterAll(async () => {
		for (const socket of sockets) socket.close();
		await database?.destroy();
		for (const instance of [second, first]) {
			if (instance && !instance.alive()) console.error(`${instance.url} ended:\n${readFileSync(instance.logFile, 'utf8').slice(-4000)}`);
			await instance?.stop();
		}
		await proxy?.close();
		if (redis) await stopRedis(redis);
	});

	const open = async (who: 'alice' | 'bob', instance: DirectusInstance) => {
		const socket = await connect({ url: instance.url, token: await login(people[who].email, people[who].password, instance.url) });
		sockets.push(socket);
		expect((await call(socket, 'group:join', { group })).ok).toBe(true);
		return socket;
	};

	const online = async (member: Member): Promise<string[]> => {
		const answer = await call(member.socket, 'presence:get', { group });
		return answer.ok ? [...answer.data.online].sort() : [];
	};
	/** Both instances answer presence:get with both members. */
	const presenceWhole = async (members: Member[]) => {
		const everyone = Object.values(people)
			.map((person) => person.id)
			.sort();
		for (const member of members) if ((await online(member)).join() !== everyone.join()) return false;
		return true;
	};
	/** Each instance sees only its own member: what presence falls back to while Redis is away. */
	const presenceLocalOnly = async (members: Member[]) => {
		for (const member of members) if ((await online(member)).join() !== people[member.name].id) return false;
		return true;
	};

	/** Each member has received a message the other sent at or after `since`: delivery across instances works. */
	const deliveredBothWays = (alice: Member, bob: Member, since: number) => async () =>
		[
			[alice, bob],
			[bob, alice],
		].every(([from, to]) => from!.ackedSince(since).some((sent) => to!.received.some((got) => got.id === sent.id)));

	it('no process ends, no client drops, nothing acknowledged is lost; delivery and presence come back', { timeout: 180_000 }, async () => {
		const alice = new Member('alice', await open('alice', first), group);
		const bob = new Member('bob', await open('bob', second), group);
		const members = [alice, bob];
		for (const member of members) member.start();
		await eventually(deliveredBothWays(alice, bob, 0), 10_000, 'delivery before any fault');

		const heals: number[] = [];
		for (let restart = 1; restart <= REDIS_RESTARTS; restart++) {
			await stopRedis(redis);
			// Barrier: each instance has found Redis gone (its presence falls back to its own sockets) while traffic runs.
			await eventually(() => presenceLocalOnly(members), 10_000, `both instances without Redis (restart ${restart})`);
			redis = await startRedis(redisPort);
			const back = Date.now();
			await eventually(() => presenceWhole(members), 15_000, `presence after restart ${restart}`);
			heals.push(Date.now() - back);
			await eventually(deliveredBothWays(alice, bob, back), 15_000, `delivery after restart ${restart}`);
		}
		// Redis keeps nothing across a restart; each instance writes its users back as soon as it reconnects.
		expect(Math.max(...heals), `presence back after each restart, ms: ${heals.join(', ')}`).toBeLessThan(HEARTBEAT_MS * 4);

		// One long outage: past the ~11 s after which Directus's own Redis client drops the commands it queued.
		await stopRedis(redis);
		await eventually(() => presenceLocalOnly(members), 10_000, 'both instances without Redis (long outage)');
		const gaveUp = (instance: DirectusInstance) => readFileSync(instance.logFile, 'utf8').includes("Directus's Redis client dropped");
		await eventually(async () => gaveUp(first) && gaveUp(second), 30_000, "Directus's Redis client giving up on both instances");
		redis = await startRedis(redisPort);
		const backLong = Date.now();
		await eventually(deliveredBothWays(alice, bob, backLong), 30_000, 'delivery after the long outage');
		await eventually(() => presenceWhole(members), 15_000, 'presence after the long outage');

		// The second instance loses its database: its sends are refused as retryable, the first goes on.
		const cutAt = Date.now();
		proxy.cut();
		await eventually(async () => bob.refusals.filter((refusal) => refusal.at >= cutAt).length >= 3, 15_000, 'refusals while cut off');
		const bobOnSecond = new Api(second.url, await login(people.bob.email, people.bob.password, first.url));
		const restMessage = { group, body: 'REST while cut off', client_id: 'bob-rest-1' };
		const rest = await bobOnSecond.post('/items/community_messages', restMessage);
		expect([rest.status, rest.body.errors?.[0]?.extensions]).toEqual([
			503,
			{ code: 'SERVICE_UNAVAILABLE', service: 'database', retry_after: 2 },
		]);
		const refusedConnection = await connect({ url: second.url, token: await login(people.bob.email, people.bob.password, first.url) }).then(
			(socket) => (socket.close(), 'connected'),
			(error: { data?: { code?: string; retry_after?: number } }) => error.data,
		);
		expect(refusedConnection).toEqual({ code: 'SERVICE_UNAVAILABLE', retry_after: 2 });
		// Bob's instance relays what the first one stores: it needs Redis for that, not its database.
		await eventually(
			async () => alice.ackedSince(cutAt).some((sent) => bob.received.some((got) => got.id === sent.id)),
			15_000,
			"alice's messages reaching bob while his instance is cut off",
		);
		proxy.restore();
		const restoredAt = Date.now();
		await eventually(async () => bob.ackedSince(restoredAt).length >= 2, 30_000, "bob's sends after the database is back");
		await eventually(deliveredBothWays(alice, bob, restoredAt), 15_000, 'delivery after the database is back');
		// The REST send refused during the cut, retried as it was: stored once.
		await bobOnSecond.ok('POST', '/items/community_messages', restMessage);
		await bobOnSecond.ok('POST', '/items/community_messages', restMessage);
		expect(await database('community_messages').where({ client_id: 'bob-rest-1' })).toHaveLength(1);

		for (const member of members) await member.stop();
		const codes = new Set(members.flatMap((member) => member.refusals.map((refusal) => refusal.code)));
		expect([...codes]).toEqual(['SERVICE_UNAVAILABLE']);
		for (const member of members) expect(member.disconnects, `${member.name}'s socket`).toEqual([]);
		for (const instance of [first, second]) expect(instance.alive() && (await fetch(`${instance.url}/server/ping`)).ok).toBe(true);

		// Every acknowledged message is stored once, and reached the other member live or through message:sync.
		const stored: Array<{ id: number; sender: string; client_id: string }> = await database('community_messages')
			.select('id', 'sender', 'client_id')
			.where({ group });
		const storedIds = new Map(stored.map((row) => [Number(row.id), row]));
		for (const member of members) {
			expect(new Set(member.acked.map((message) => message.client_id)).size).toBe(member.acked.length);
			for (const message of member.acked)
				expect(storedIds.get(message.id)).toMatchObject({ sender: message.sender, client_id: message.client_id });
		}
		for (const [from, to] of [
			[alice, bob],
			[bob, alice],
		] as const) {
			const live = new Set(to.received.map((message) => message.id));
			const missed = from.acked.filter((message) => !live.has(message.id)).map((message) => message.id);
			const synced = new Set<number>();
			for (let after = 0, more = true; more;) {
				const page = await call(to.socket, 'message:sync', { group, after, limit: 200 });
				for (const message of page.data.messages as Wire[]) synced.add(message.id);
				[after, more] = [page.data.cursor, page.data.has_more];
			}
			expect(
				missed.filter((id) => !synced.has(id)),
				`${from.name} → ${to.name}`,
			).toEqual([]);
			console.info(
				`${from.name} → ${to.name}: ${from.acked.length} acknowledged, ${from.acked.length - missed.length} live, ${missed.length} through sync`,
			);
		}
		console.info(`Redis restarts: presence back after ${heals.join(', ')} ms`);
	});
});
