import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { Api, eventually, login } from '../support/api.js';
import { enrolledCourse, type Person } from '../support/community.js';
import { freePort, startDirectusInstance, type DirectusInstance } from '../support/directus-instance.js';
import { startHaproxy, type Haproxy } from '../support/haproxy.js';
import { startRedis, stopRedis } from '../support/redis.js';
import { SOCKET_PATH } from '../support/socket.js';

const METRICS_TOKEN = randomBytes(12).toString('hex');

interface WireMessage {
	id: number;
	seq: number;
	sender: string;
	client_id: string | null;
	body: string;
}

/**
 * A chat client as docs/realtime.md describes it: reconnects by itself, joins and syncs from its cursor on every
 * (re)connect, keeps messages by id, and sends each message with a client_id until it is acknowledged.
 */
class ChatClient {
	readonly socket: Socket;
	readonly received = new Map<number, WireMessage>();
	readonly acknowledged: WireMessage[] = [];
	private readonly seqs = new Set<number>();
	/**
	 * The highest seq up to which this client holds every message (a group's seqs have no gaps). Not simply the
	 * highest seq seen: a live event can overtake a broadcast that was lost with an instance, and a sync after
	 * the highest seq would never fetch the lost one.
	 */
	cursor = 0;
	connects = 0;

	constructor(
		url: string,
		token: string,
		private readonly group: number,
		readonly transport: 'websocket' | 'polling',
	) {
		this.socket = io(url, {
			path: SOCKET_PATH,
			transports: [transport],
			auth: { token },
			// Long-polling needs the balancer's sticky cookie on every request (Node's client keeps cookies with this).
			withCredentials: true,
			reconnectionDelay: 100,
			reconnectionDelayMax: 500,
			forceNew: true,
		});
		this.socket.on('message:new', (message: WireMessage) => this.keep([message]));
		this.socket.on('connect', () => {
			this.connects += 1;
			void this.catchUp().catch(() => undefined);
		});
	}

	private keep(messages: WireMessage[]) {
		for (const message of messages) {
			this.received.set(message.id, message);
			this.seqs.add(message.seq);
		}
		while (this.seqs.has(this.cursor + 1)) this.cursor += 1;
	}

	/** Join the group again and fetch everything after the cursor (what a reconnect may have missed). */
	async catchUp(): Promise<void> {
		const joined = await this.socket.timeout(5_000).emitWithAck('group:join', { group: this.group });
		if (!joined.ok) throw new Error(`join: ${JSON.stringify(joined.error)}`);
		for (;;) {
			const page = await this.socket.timeout(5_000).emitWithAck('message:sync', { group: this.group, after: this.cursor, limit: 200 });
			if (!page.ok) throw new Error(`sync: ${JSON.stringify(page.error)}`);
			this.keep(page.data.messages);
			if (!page.data.has_more) return;
		}
	}

	async connected(): Promise<void> {
		await eventually(async () => this.socket.connected, 20_000, 'a connected socket');
	}

	/** Sends until acknowledged, the same client_id on every try (a lost ack must not make a second message). */
	async send(body: string, clientId: string): Promise<void> {
		const deadline = Date.now() + 60_000;
		while (Date.now() < deadline) {
			if (!this.socket.connected) {
				await new Promise((resolve) => setTimeout(resolve, 50));
				continue;
			}
			const answer = await this.socket
				.timeout(3_000)
				.emitWithAck('message:send', { group: this.group, body, client_id: clientId })
				.catch(() => null);
			if (answer?.ok) {
				this.acknowledged.push(answer.data);
				return;
			}
			await new Promise((resolve) => setTimeout(resolve, answer?.error?.retry_after ? 500 : 100));
		}
		throw new Error(`message ${clientId} never acknowledged`);
	}

	close() {
		this.socket.close();
	}
}

/**
 * The compose topology as processes: Debian's HAProxy with deploy/haproxy.cfg in front of two Directus
 * instances sharing one PostgreSQL database and one Redis. PostgreSQL only (what several instances share), so it
 * runs in the TEST_DB=postgres pass.
 */
describe.runIf(process.env['TEST_DB'] === 'postgres')('two instances behind HAProxy', () => {
	let first: DirectusInstance;
	let second: DirectusInstance;
	let balancer: Haproxy;
	let redis: ChildProcess;
	let groupId: number;
	let people: Record<string, Person>;
	const clients: ChatClient[] = [];

	const tokenOf = (who: string) => login(people[who]!.email, people[who]!.password, balancer.url);
	const client = async (who: string, transport: 'websocket' | 'polling') => {
		const chat = new ChatClient(balancer.url, await tokenOf(who), groupId, transport);
		clients.push(chat);
		await chat.connected();
		return chat;
	};
	/** The instance ids the balancer spreads health checks over: both instances are in once both show up. */
	const instancesBehindBalancer = async (count: number) => {
		const seen = new Set<string>();
		for (let i = 0; i < count * 4; i++) {
			const answer = await fetch(`${balancer.url}/community/health`).catch(() => null);
			if (answer?.status === 200) seen.add(((await answer.json()) as { data: { instance: string } }).data.instance);
		}
		return seen.size;
	};
	/** Live sockets on one instance, from its own metrics (scraped directly, never through the balancer). */
	const socketsOn = async (instance: DirectusInstance) => {
		const response = await fetch(`${instance.url}/community/metrics`, { headers: { authorization: `Metrics ${METRICS_TOKEN}` } });
		const line = (await response.text()).split('\n').find((l) => l.startsWith('community_socket_connections '));
		return Number(line?.split(' ')[1]);
	};
	const bothInstancesIn = () =>
		eventually(async () => (await instancesBehindBalancer(2)) === 2, 30_000, 'both instances behind the balancer');

	/**
	 * Each sender keeps sending (at least `count` messages) until `disturb` is over; then every client must hold
	 * every acknowledged message, and the group must hold each of them once.
	 */
	const chatThrough = async (label: string, senders: ChatClient[], readers: ChatClient[], count: number, disturb: () => Promise<void>) => {
		let disturbed = false;
		let attempted = 0;
		const sending = senders.map(async (sender, s) => {
			for (let i = 0; i < count || !disturbed; i++) {
				attempted += 1;
				await sender.send(`${label} ${s}/${i}`, `${label}-${s}-${i}`);
				await new Promise((resolve) => setTimeout(resolve, 50));
			}
		});
		await disturb();
		disturbed = true;
		await Promise.all(sending);
		const acknowledged = senders.flatMap((sender) => sender.acknowledged.filter((m) => m.client_id?.startsWith(`${label}-`)));
		expect(acknowledged).toHaveLength(attempted);
		for (const reader of readers) {
			await reader.connected();
			await reader.catchUp();
			for (const message of acknowledged)
				expect(reader.received.get(message.id), `${reader.transport} reader, ${message.client_id}`).toBeDefined();
		}
		// Nothing stored twice: each client_id once in the group's history (retries after a lost ack answered the first).
		const stored = [...readers[0]!.received.values()].filter((m) => m.client_id?.startsWith(`${label}-`));
		expect(stored.map((m) => m.client_id).sort()).toEqual(acknowledged.map((m) => m.client_id).sort());
		const seqs = [...readers[0]!.received.values()].map((m) => m.seq);
		expect(new Set(seqs).size).toBe(seqs.length);
	};

	beforeAll(async () => {
		const redisPort = await freePort();
		redis = await startRedis(redisPort);
		const env = {
			REDIS: `redis://127.0.0.1:${redisPort}`,
			CACHE_STORE: 'redis',
			SYNCHRONIZATION_STORE: 'redis',
			IP_TRUST_PROXY: 'true',
			COMMUNITY_SEND_LIMIT: '10000',
			COMMUNITY_SYNC_LIMIT: '10000',
			COMMUNITY_JOIN_LIMIT: '10000',
			COMMUNITY_PRESENCE_HEARTBEAT_MS: '500',
			// Graceful shutdown within the test's patience.
			SERVER_SHUTDOWN_TIMEOUT: '2000',
			METRICS_ENABLED: 'true',
			METRICS_TOKENS: METRICS_TOKEN,
		};
		first = await startDirectusInstance({ db: 'postgres', env });
		second = await startDirectusInstance({ db: 'postgres', env, shareDatabaseWith: first });
		balancer = await startHaproxy({
			port: await freePort(),
			servers: [
				{ name: 'first', port: first.port },
				{ name: 'second', port: second.port },
			],
		});
		const admin = new Api(balancer.url, await login(first.admin.email, first.admin.password, balancer.url));
		({ groupId, people } = await enrolledCourse(admin, { title: 'Balanced', code: 'LB-1' }, ['alice', 'bob', 'carol']));
		await bothInstancesIn();
	}, 240_000);

	afterEach(() => {
		for (const chat of clients.splice(0)) chat.close();
	});

	afterAll(async () => {
		await balancer?.stop();
		await second?.stop();
		await first?.stop();
		if (redis) await stopRedis(redis);
	});

	it('REST, the health check and both WebSocket paths work through the balancer; other upgrades are refused', async () => {
		const health = await fetch(`${balancer.url}/community/health`);
		expect(health.status).toBe(200);
		const alice = new Api(balancer.url, await tokenOf('alice'));
		await alice.ok('POST', `/community/groups/${groupId}/join`);
		const created = await alice.ok<{ id: number }>('POST', '/items/community_messages', { group: groupId, body: 'REST through HAProxy' });
		expect(
			(await alice.ok<Array<{ id: number }>>('GET', `/items/community_messages?filter[group][_eq]=${groupId}&limit=200`)).map((m) => m.id),
		).toContain(created.id);

		const directusSocket = new WebSocket(`${balancer.url.replace('http', 'ws')}/websocket`);
		await new Promise<void>((resolve, reject) => {
			directusSocket.onopen = () => resolve();
			directusSocket.onerror = () => reject(new Error("Directus's /websocket did not open through the balancer"));
		});
		directusSocket.close();
		// fetch cannot ask for an upgrade: a plain HTTP request can.
		const elsewhere = await new Promise<number | undefined>((resolve, reject) => {
			const request = httpRequest(`${balancer.url}/items/courses`, { headers: { connection: 'Upgrade', upgrade: 'websocket' } });
			request.on('response', (response) => {
				response.resume();
				resolve(response.statusCode);
			});
			request.on('upgrade', () => resolve(101));
			request.on('error', reject);
			request.end();
		});
		expect(elsewhere).toBe(400);
	});

	it('an instance killed while clients chat: they reconnect through the balancer, sync heals, nothing lost or doubled', async () => {
		const alice = await client('alice', 'websocket');
		const bob = await client('bob', 'websocket');
		const carol = await client('carol', 'polling');
		await Promise.all([alice, bob, carol].map((c) => c.catchUp()));
		// Kill the instance holding most of them (at least two of the three), as its metrics say.
		// Sockets of earlier tests close asynchronously: wait until only these three are counted. This test runs
		// before the cookieless long-polling one, whose half-open session lingers until its ping timeout (45 s).
		const [onFirst, onSecond] = await eventually(async () => {
			const counts = [await socketsOn(first), await socketsOn(second)] as const;
			return counts[0] + counts[1] === 3 ? counts : null;
		}, 10_000);
		const victim = onFirst >= onSecond ? first : second;
		const connectsBefore = alice.connects + bob.connects + carol.connects;
		await chatThrough('crash', [alice, bob, carol], [alice, bob, carol], 12, async () => {
			await new Promise((resolve) => setTimeout(resolve, 300));
			await victim.crash();
		});
		expect(alice.connects + bob.connects + carol.connects).toBeGreaterThanOrEqual(connectsBefore + 2);
		await victim.restart();
		await bothInstancesIn();
	});

	it('a WebSocket client and a long-polling client chat; long-polling works thanks to the sticky cookie', async () => {
		const alice = await client('alice', 'websocket');
		const carol = await client('carol', 'polling');
		await alice.catchUp();
		await carol.catchUp();
		await chatThrough('steady', [alice, carol], [alice, carol], 5, async () => undefined);

		// The same long-polling client without its cookie: its polls alternate between the instances and fail.
		const cookieless = io(balancer.url, {
			path: SOCKET_PATH,
			transports: ['polling'],
			auth: { token: await tokenOf('bob') },
			reconnection: false,
			forceNew: true,
		});
		const outcome = await new Promise<string>((resolve) => {
			cookieless.once('connect_error', () => resolve('refused'));
			cookieless.once('disconnect', () => resolve('dropped'));
			cookieless.once('connect', () => {
				void cookieless
					.timeout(3_000)
					.emitWithAck('group:join', { group: groupId })
					.then(
						() => resolve('worked'),
						() => resolve('dropped'),
					);
			});
		});
		cookieless.close();
		expect(outcome).not.toBe('worked');
	});

	it('a rolling restart, one instance at a time, loses nothing', async () => {
		const alice = await client('alice', 'websocket');
		const bob = await client('bob', 'polling');
		await Promise.all([alice, bob].map((c) => c.catchUp()));
		await chatThrough('rolling', [alice, bob], [alice, bob], 15, async () => {
			for (const instance of [first, second]) {
				await instance.restart();
				await bothInstancesIn();
			}
		});
	});
});
