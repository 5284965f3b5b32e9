import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { connect as connectTcp, type Socket as TcpSocket } from 'node:net';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, eventually, login } from '../support/api.js';
import { freePort, startDirectusInstance, type DirectusInstance, type TestDatabase } from '../support/directus-instance.js';
import { startRedis, stopRedis } from '../support/redis.js';
import { call, connect, SOCKET_PATH } from '../support/socket.js';

const METRICS_TOKEN = randomBytes(12).toString('hex');

/** One series of a Prometheus scrape (`name` with its labels as written), 0 when absent. */
const sample = (text: string, name: string) => {
	const line = text.split('\n').find((l) => l.startsWith(`${name} `));
	return line === undefined ? 0 : Number(line.slice(name.length + 1));
};

/**
 * Readiness and metrics of one instance with its own Redis (so the test can take Redis away) and metrics on,
 * protected by a token as Directus's own /metrics is.
 */
describe('operations: /community/health and /community/metrics', () => {
	let instance: DirectusInstance;
	let admin: Api;
	let redisPort: number;
	let redis: ChildProcess;
	let student: { email: string; password: string };
	let groupId: number;

	const scrape = async (authorization = `Metrics ${METRICS_TOKEN}`) => {
		const response = await fetch(`${instance.url}/community/metrics`, { headers: { authorization } });
		return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
	};

	beforeAll(async () => {
		redisPort = await freePort();
		redis = await startRedis(redisPort);
		instance = await startDirectusInstance({
			db: (process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite') as TestDatabase,
			env: {
				REDIS: `redis://127.0.0.1:${redisPort}`,
				METRICS_ENABLED: 'true',
				METRICS_TOKENS: METRICS_TOKEN,
				COMMUNITY_SEND_LIMIT: '3',
				COMMUNITY_SEND_LIMIT_SECONDS: '600',
				COMMUNITY_HEALTH_TIMEOUT_MS: '1000',
				// Terminus's grace for requests in flight at shutdown (the draining test holds one); below the
				// test helper's SIGKILL after 10 s.
				SERVER_SHUTDOWN_TIMEOUT: '8000',
			},
		});
		admin = new Api(instance.url, await login(instance.admin.email, instance.admin.password, instance.url));
		const [studentRole] = await admin.ok<Array<{ id: string }>>('GET', '/roles?filter[name][_eq]=Student');
		const course = await admin.ok<{ id: number }>('POST', '/items/courses', { title: 'Operations', code: 'OPS-1' });
		student = { email: `ops-${randomBytes(3).toString('hex')}@example.com`, password: randomBytes(8).toString('hex') };
		const user = await admin.ok<{ id: string }>('POST', '/users', { ...student, role: studentRole!.id, status: 'active' });
		await admin.ok('POST', '/items/enrollments', { user: user.id, course: course.id, role: 'student', status: 'active' });
		groupId = (
			await eventually(
				async () => (await admin.ok<Array<{ id: number }>>('GET', `/items/community_groups?filter[course][_eq]=${course.id}`))[0],
			)
		).id;
	}, 180_000);

	afterAll(async () => {
		await instance?.stop();
		if (redis) await stopRedis(redis);
	});

	it('health answers 200 with each dependency, and stays 200 while the shared Redis is away', async () => {
		const ready = await new Api(instance.url).get('/community/health');
		expect(ready.status).toBe(200);
		expect(ready.body.data).toMatchObject({
			status: 'ok',
			instance: expect.any(String),
			checks: { database: { status: 'ok', latency_ms: expect.any(Number) }, redis: { status: 'ok', latency_ms: expect.any(Number) } },
		});

		await stopRedis(redis);
		const withoutRedis = await eventually(async () => {
			const answer = await new Api(instance.url).get('/community/health');
			return answer.body.data.checks.redis.status === 'down' ? answer : null;
		}, 10_000);
		expect(withoutRedis.status).toBe(200);
		expect(withoutRedis.body.data).toMatchObject({ status: 'ok', checks: { database: { status: 'ok' }, redis: { status: 'down' } } });
		// The open answer names no address or error text; an admin gets them.
		expect(withoutRedis.body.data.checks.redis.error).toBe('unavailable');
		const forAdmin = await new Api(instance.url, admin.token).get('/community/health');
		expect(forAdmin.body.data.checks.redis.error).not.toBe('unavailable');

		redis = await startRedis(redisPort);
		await eventually(async () => (await new Api(instance.url).get('/community/health')).body.data.checks.redis.status === 'ok', 15_000);
	});

	it('metrics: Prometheus text for a Metrics token or an admin; 403 for anyone else', async () => {
		const scraped = await scrape();
		expect(scraped.status).toBe(200);
		expect(scraped.type).toMatch(/^text\/plain;.*version=0\.0\.4/);
		expect(scraped.text).toContain('# TYPE community_socket_connections gauge');
		expect(scraped.text).toContain('# TYPE community_socket_send_duration_seconds histogram');
		expect((await scrape(`Bearer ${admin.token}`)).status).toBe(200);
		const anonymous = await fetch(`${instance.url}/community/metrics`);
		expect(anonymous.status).toBe(403);
		expect((await scrape('Metrics not-the-token')).status).toBe(403);
		const studentApi = new Api(instance.url, await login(student.email, student.password, instance.url));
		expect((await studentApi.request('GET', '/community/metrics')).status).toBe(403);
		// Directus's own /metrics takes the same token (one scrape config for both).
		expect((await fetch(`${instance.url}/metrics`, { headers: { authorization: `Metrics ${METRICS_TOKEN}` } })).status).toBe(200);
	});

	it('the socket gauges follow a connected client, its joined group and its disconnection', async () => {
		const before = await scrape();
		const socket = await connect({ url: instance.url, token: await login(student.email, student.password, instance.url) });
		try {
			expect((await call(socket, 'group:join', { group: groupId })).ok).toBe(true);
			const joined = await scrape();
			expect(sample(joined.text, 'community_socket_connections')).toBe(sample(before.text, 'community_socket_connections') + 1);
			expect(sample(joined.text, 'community_socket_joined_rooms')).toBe(sample(before.text, 'community_socket_joined_rooms') + 1);
		} finally {
			socket.close();
		}
		await eventually(
			async () => sample((await scrape()).text, 'community_socket_connections') === sample(before.text, 'community_socket_connections'),
		);
	});

	it('stored messages and refused writes are counted', async () => {
		const before = await scrape();
		const studentApi = new Api(instance.url, await login(student.email, student.password, instance.url));
		const answers = [];
		for (let i = 0; i < 5; i++)
			answers.push((await studentApi.post('/items/community_messages', { group: groupId, body: `m${i}` })).status);
		expect(answers.filter((status) => status === 200)).toHaveLength(3);
		expect(answers.filter((status) => status === 429)).toHaveLength(2);
		const refused = 'community_rate_limit_refusals_total{kind="message"}';
		expect(sample((await scrape()).text, refused) - sample(before.text, refused)).toBe(2);
		// Stores are counted by the action after the commit, which may run after the answer went out.
		const stored = 'community_messages_stored_total';
		await eventually(async () => sample((await scrape()).text, stored) - sample(before.text, stored) === 3);
		expect(sample((await scrape()).text, stored) - sample(before.text, stored)).toBe(3);
	});

	it('SIGTERM: health answers draining on an open keep-alive connection, sockets are cut to reconnect, then it exits', async () => {
		const token = await login(student.email, student.password, instance.url);
		const client = io(instance.url, {
			path: SOCKET_PATH,
			transports: ['websocket'],
			auth: { token },
			reconnectionDelay: 100,
			reconnectionDelayMax: 500,
			forceNew: true,
		});
		let connects = 0;
		client.on('connect', () => (connects += 1));
		await eventually(async () => client.connected, 10_000, 'a connected socket');
		const cut = new Promise<{ reason: string; willReconnect: boolean; instanceAlive: boolean }>((resolve) =>
			client.once('disconnect', (reason) => resolve({ reason, willReconnect: client.active, instanceAlive: instance.alive() })),
		);

		// The balancer's kept-alive connection, busy with a request when the signal comes (a request whose body is
		// still on its way): terminus ends idle connections at once, busy ones after their requests.
		const held = connectTcp({ host: '127.0.0.1', port: instance.port, allowHalfOpen: true });
		let received = '';
		held.setEncoding('utf8');
		held.on('data', (chunk: string) => (received += chunk));
		const body = JSON.stringify({ email: student.email, password: 'not-the-password' });
		held.write(
			`POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
				`Expect: 100-continue\r\n\r\n${body.slice(0, 10)}`,
		);
		// "100 Continue" comes once the server took the request in (Node emits it then): it is now in flight.
		await eventually(async () => received.includes('100 Continue'), 10_000, 'the request in flight');

		const exited = instance.shutDown();
		// The listener is closed on the signal: new connections are refused (HAProxy redispatches them).
		await eventually(async () => (await refused(instance.port)) || null, 10_000, 'new connections refused');

		// The rest of the body, and the balancer's next probe on the same connection.
		const answered = new Promise<boolean>((resolve) => held.once('end', () => resolve(instance.alive())));
		held.write(`${body.slice(10)}GET /community/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
		const aliveWhenAnswered = await answered;
		held.end();
		const health = received.slice(received.lastIndexOf('HTTP/1.1 '));
		expect(health.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
		expect(JSON.parse(health.slice(health.indexOf('\r\n\r\n') + 4))).toMatchObject({ data: { status: 'draining' } });
		expect(aliveWhenAnswered).toBe(true);

		// The socket was cut while the instance still ran, with a reason the client reconnects after.
		const disconnected = await cut;
		expect(disconnected).toEqual({ reason: 'transport close', willReconnect: true, instanceAlive: true });
		await exited;
		expect(instance.alive()).toBe(false);

		// The client comes back by itself, to whatever answers at its address now (another instance, behind a balancer).
		await instance.restart();
		await eventually(async () => connects === 2 && client.connected, 20_000, 'the client reconnected');
		client.close();
	});
});

/** Whether a new TCP connection to `port` is refused (the server stopped listening). */
function refused(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const probe: TcpSocket = connectTcp({ host: '127.0.0.1', port });
		probe.once('connect', () => {
			probe.destroy();
			resolve(false);
		});
		probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
	});
}
