import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_COMMUNITY_ENV } from '../global-setup.js';
import {
	COLLECTIONS,
	exportProbes,
	generateSpecs,
	graphqlProbes,
	restProbes,
	schemaModel,
	searchProbes,
	USERS,
	wsProbes,
	type HttpProbe,
	type Spec,
	type ValueContext,
	type WsProbe,
} from '../support/catalogue.js';
import {
	differences,
	DirectusSocket,
	emitRecorded,
	formatDifferences,
	formatServerErrors,
	normalise,
	openSocketIo,
	withPresenceSummed,
	runExportProbes,
	runHttpProbes,
	runSocketIoReads,
	runWsProbes,
	saveReport,
	serverErrors,
	shortDiff,
	tokenOf,
	waitForLog,
	type Outcome,
	type SocketIoRecording,
} from '../support/differential.js';
import { startDirectusInstance, type DirectusInstance, type TestDatabase } from '../support/directus-instance.js';
import {
	adminGet,
	B_WORLD2_PROFILE,
	buildSharedWorld,
	CALLERS,
	PEOPLE,
	SENTINEL_BODY,
	writeBExtras,
	writeSentinel,
	type CallerKey,
	type World,
} from '../support/worlds.js';

/**
 * Non-interference of reads: two Directus instances built by the same script, differing only in what group B
 * and its members hold. Every caller outside B (a student, a TA, an instructor of A, a user without a role,
 * the public) sends the same generated catalogue of reads to both; the normalised answers must be
 * byte-identical, and so must everything their live connections receive while B is busy in world 2.
 */

const db: TestDatabase = process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
// Heartbeat pings on /websocket would arrive by the clock, not by the data: off, in both worlds.
// Directus's pressure limiter answers 503 by the machine's load, not by the data: off, in both worlds.
const WORLD_ENV = {
	...TEST_COMMUNITY_ENV,
	ACCESS_TOKEN_TTL: '1h',
	WEBSOCKETS_HEARTBEAT_ENABLED: 'false',
	PRESSURE_LIMITER_ENABLED: 'false',
};
/** Subscriptions each caller holds on Directus's /websocket during the live phase. */
const SUBSCRIPTIONS: Array<{ uid: string; collection: string; query?: Record<string, unknown> }> = [
	...[...COLLECTIONS, USERS].map((collection) => ({ uid: collection, collection })),
	{
		uid: 'community_messages#meta',
		collection: 'community_messages',
		query: { fields: ['id', 'body'], meta: ['total_count', 'filter_count'] },
	},
	{ uid: 'community_posts#meta', collection: 'community_posts', query: { fields: ['id'], meta: ['total_count'] } },
];

interface Live {
	socketIo: SocketIoRecording;
	ws: DirectusSocket;
	/** What each connection had received when the sentinel arrived (normalised JSON). */
	socketIoUntilSentinel?: string;
	wsUntilSentinel?: string;
}

let instances: DirectusInstance[] = [];
let worlds: [World, World];
const live = new Map<string, Live>(); // `${variant}:${caller}`
let specs: Spec[] = [];
let probes: { rest: HttpProbe[]; search: HttpProbe[]; graphql: HttpProbe[]; exports: HttpProbe[]; ws: WsProbe[] };

/** Connects every caller (Socket.IO first, joined to group A, then /websocket with its subscriptions). */
async function connectCallers(world: World): Promise<void> {
	for (const caller of CALLERS) {
		const socketIo = await openSocketIo(world.url, tokenOf(world, caller));
		await emitRecorded(socketIo, 'group:join', { group: world.ids.groupA });
		live.set(`${world.variant}:${caller}`, { socketIo, ws: null as unknown as DirectusSocket });
	}
	for (const caller of CALLERS) {
		const ws = await DirectusSocket.open(world.url, tokenOf(world, caller));
		for (const subscription of SUBSCRIPTIONS) {
			await ws.request(
				{ type: 'subscribe', collection: subscription.collection, ...(subscription.query ? { query: subscription.query } : {}) },
				subscription.uid,
			);
		}
		live.get(`${world.variant}:${caller}`)!.ws = ws;
	}
}

/**
 * Barriers for the B phase of world 2 (no sleeps): the admin's /websocket subscriptions (made after the
 * callers', so dispatched after theirs) have seen an event for every B write that went through Directus's
 * services, and B's own members' sockets have received every B message and notification.
 */
async function bPhaseWithBarriers(world: World): Promise<void> {
	const admin = await DirectusSocket.open(world.url, world.adminToken);
	const collections = [...new Set([...COLLECTIONS, USERS])];
	for (const collection of collections) await admin.request({ type: 'subscribe', collection }, `admin:${collection}`);
	const bSockets = await Promise.all(
		(['bt', 'b1'] as const).map(async (key) => {
			const recording = await openSocketIo(world.url, world.tokens[key]);
			await emitRecorded(recording, 'group:join', { group: world.ids.groupB });
			return { key, recording };
		}),
	);

	await writeBExtras(world);

	for (const { collection, action, key } of world.bEvents) {
		await admin.seen(
			(m) =>
				m.uid === `admin:${collection}` && m.event === action && (m.data as unknown[]).some((row: any) => String(row?.id ?? row) === key),
			`admin's ${action} event for ${collection} ${key}`,
		);
	}
	const rows = world.ids.rows;
	const notifications = await adminGet<Array<{ id: number; recipient: string }>>(
		world,
		`/items/community_notifications?filter[id][_in]=${Object.entries(rows)
			.filter(([name]) => name.startsWith('notificationB:'))
			.map(([, id]) => id)
			.join(',')}&fields=id,recipient&limit=-1`,
	);
	for (const { key, recording } of bSockets) {
		for (const message of ['msgB:secret1', 'msgB:secret2', 'msgB:secret3']) {
			await waitForLog(
				recording,
				(e) => e['event'] === 'message:new' && (e['args'] as any[])[0]?.id === rows[message],
				`${key}: ${message}`,
			);
		}
		await waitForLog(
			recording,
			(e) => e['event'] === 'message:hidden' && (e['args'] as any[])[0]?.id === rows['msgB:secret3'],
			`${key}: hidden`,
		);
		for (const notification of notifications.filter((n) => n.recipient === PEOPLE[key].id)) {
			await waitForLog(
				recording,
				(e) => e['event'] === 'notification:new' && (e['args'] as any[])[0]?.id === notification.id,
				`${key}: notification ${notification.id}`,
			);
		}
		recording.socket?.close();
	}
	admin.close();
}

/** The sentinel: each connection that may receive it waits for it; the others make a round trip after. */
async function sentinelWithBarriers(world: World): Promise<void> {
	await writeSentinel(world);
	const receives = (entry: Record<string, unknown>) =>
		entry['event'] === 'message:updated' && (entry['args'] as any[])[0]?.body === SENTINEL_BODY;
	const mine = CALLERS.map((caller) => ({ caller, conn: live.get(`${world.variant}:${caller}`)! }));
	const joined = mine.filter(({ conn }) => conn.socketIo.log.some((e) => e['ack'] === 'group:join' && (e['answer'] as any)?.ok));
	await Promise.all(joined.map(({ caller, conn }) => waitForLog(conn.socketIo, receives, `${caller}: sentinel`)));
	// Every subscription to community_messages that was accepted gets the sentinel's update event.
	const accepted = (conn: Live) =>
		SUBSCRIPTIONS.filter((s) => s.collection === 'community_messages').filter((s) =>
			conn.ws.received.some((m) => m.uid === s.uid && m.type === 'subscription' && m.event === 'init'),
		);
	const subscribed = mine.filter(({ conn }) => accepted(conn).length > 0);
	await Promise.all(
		subscribed.flatMap(({ caller, conn }) =>
			accepted(conn).map((s) =>
				conn.ws.seen(
					(m) => m.uid === s.uid && m.event === 'update' && m.data?.some((row: any) => row.body === SENTINEL_BODY),
					`the sentinel on ${caller}'s ${s.uid}`,
				),
			),
		),
	);
	// Connections that cannot receive the sentinel: one ordered round trip after it reached everyone else.
	for (const { conn } of mine) {
		if (!joined.some((j) => j.conn === conn) && conn.socketIo.socket)
			await emitRecorded(conn.socketIo, 'presence:get', { group: world.ids.groupA });
		if (!subscribed.some((s) => s.conn === conn) && !conn.ws.closed) {
			await conn.ws.request(
				{ type: 'items', action: 'read', collection: 'community_messages', query: { fields: ['id'], limit: 1 } },
				'fence',
			);
		}
	}
	for (const { conn } of mine) {
		conn.socketIoUntilSentinel = normalise(JSON.stringify(withPresenceSummed(conn.socketIo.log), null, 1), world);
		conn.wsUntilSentinel = normalise(
			JSON.stringify(conn.ws.closed ? [...conn.ws.received, { closed: conn.ws.closed }] : conn.ws.received, null, 1),
			world,
		);
		conn.socketIo.socket?.close();
		conn.ws.close();
	}
}

beforeAll(async () => {
	instances = await Promise.all([1, 2].map(() => startDirectusInstance({ db, env: WORLD_ENV })));
	worlds = (await Promise.all(instances.map((instance, i) => buildSharedWorld(instance, (i + 1) as 1 | 2)))) as [World, World];
	// The script must be deterministic: the shared part has the same ids in both worlds.
	expect(worlds[1].ids, 'both worlds must hold the same shared rows').toEqual(worlds[0].ids);

	await Promise.all(worlds.map(connectCallers));
	await bPhaseWithBarriers(worlds[1]);
	await Promise.all(worlds.map(sentinelWithBarriers));

	// The catalogue: from the schema (admin's GET /fields and /relations) and B's rows in world 2.
	const model = schemaModel(await adminGet(worlds[0], '/fields'), await adminGet(worlds[0], '/relations'));
	const ctx = await valueContext(worlds[1]);
	specs = generateSpecs(model, ctx);
	probes = {
		rest: restProbes(specs),
		search: searchProbes(specs),
		graphql: graphqlProbes(specs, model),
		exports: exportProbes(model, ctx),
		ws: wsProbes(specs, model, ctx),
	};
}, 600_000);

afterAll(async () => {
	for (const conn of live.values()) {
		conn.socketIo.socket?.close();
		conn.ws?.close();
	}
	await Promise.all(instances.map((instance) => instance.stop()));
});

/** Ids of B's rows per collection (shared and world-2-only), read as the admin of world 2. */
async function valueContext(world: World): Promise<ValueContext> {
	const bRows: Record<string, number[]> = {};
	const aRows: Record<string, number> = {};
	const groupFilter: Record<string, string> = {
		courses: `filter[id][_eq]=${world.ids.courseB}`,
		enrollments: `filter[course][_eq]=${world.ids.courseB}`,
		community_groups: `filter[id][_eq]=${world.ids.groupB}`,
		community_post_reactions: `filter[post][group][_eq]=${world.ids.groupB}`,
		community_message_reactions: `filter[message][group][_eq]=${world.ids.groupB}`,
	};
	const aFilter: Record<string, string> = {
		courses: `filter[id][_eq]=${world.ids.courseA}`,
		enrollments: `filter[user][_eq]=${PEOPLE.student.id}`,
		community_groups: `filter[id][_eq]=${world.ids.groupA}`,
		community_post_reactions: `filter[user][_eq]=${PEOPLE.student.id}`,
		community_message_reactions: `filter[user][_eq]=${PEOPLE.student.id}`,
		community_notifications: `filter[recipient][_eq]=${PEOPLE.student.id}`,
		community_reports: `filter[reporter][_eq]=${PEOPLE.student.id}`,
	};
	for (const collection of COLLECTIONS) {
		const b = groupFilter[collection] ?? `filter[group][_eq]=${world.ids.groupB}`;
		bRows[collection] = (await adminGet<Array<{ id: number }>>(world, `/items/${collection}?${b}&fields=id&sort=id&limit=-1`)).map((r) =>
			Number(r.id),
		);
		const a = aFilter[collection] ?? `filter[group][_eq]=${world.ids.groupA}`;
		aRows[collection] = Number(
			(await adminGet<Array<{ id: number }>>(world, `/items/${collection}?${a}&fields=id&sort=id&limit=1`))[0]?.id ?? 1,
		);
	}
	// The reaction the admin removed in world 2 exists in no world any more: still a B id worth asking for.
	bRows['community_post_reactions']!.push(world.ids.rows['reactionB:removed']!);
	return {
		bRows,
		aRows,
		bUserId: PEOPLE.b1.id,
		aUserId: PEOPLE.ann.id,
		bEmail: B_WORLD2_PROFILE['b1']!.email,
		bFirstName: B_WORLD2_PROFILE['b1']!.first_name,
	};
}

/** What one recording holds that the other does not, message by message (in order). */
function recordingDiff(one: string, two: string): string {
	const [a, b] = [JSON.parse(one) as unknown[], JSON.parse(two) as unknown[]].map((list) => list.map((m) => JSON.stringify(m)));
	const onlyIn = (x: string[], y: string[]) => x.filter((m) => !y.includes(m));
	const lines = [
		...onlyIn(b!, a!).map((m) => `\n        only in world 2: ${m.slice(0, 300)}`),
		...onlyIn(a!, b!).map((m) => `\n        only in world 1: ${m.slice(0, 300)}`),
	];
	return lines.length > 0 ? lines.join('') : `the same messages in another order: ${shortDiff(one, two)}`;
}

function check(caller: CallerKey, transport: string, outcomes: Outcome[]): void {
	const diff = differences(outcomes);
	const errors = serverErrors(outcomes);
	const file = saveReport(`${db}-${caller}-${transport}`, {
		caller,
		transport,
		requests: outcomes.length,
		differences: diff,
		serverErrors: errors,
		// Small transports keep every answer, for reading what the callers got.
		...(outcomes.length <= 100 ? { outcomes } : {}),
	});
	const problems: string[] = [];
	if (diff.length > 0) {
		problems.push(
			`${diff.length} of ${outcomes.length} ${transport} reads by ${caller} answer differently when only group B's data differs:\n${formatDifferences(caller, diff)}`,
		);
	}
	if (errors.length > 0) {
		problems.push(
			`${errors.length} ${transport} reads by ${caller} answered 500 (or INTERNAL_SERVER_ERROR inside a 200):\n${formatServerErrors(caller, errors)}`,
		);
	}
	if (problems.length > 0) throw new Error(`${problems.join('\n\n')}\n\n(full report: ${file})`);
}

describe.each(CALLERS)('reads of %s do not depend on group B', (caller) => {
	it('REST GET (bracket and SDK/JSON parameters)', async () => {
		expect(probes.rest.length).toBeGreaterThan(500);
		check(caller, 'rest', await runHttpProbes(worlds, caller, probes.rest));
	}, 600_000);

	it('REST SEARCH', async () => {
		check(caller, 'search', await runHttpProbes(worlds, caller, probes.search));
	}, 600_000);

	it('GraphQL (/graphql and /graphql/system)', async () => {
		check(caller, 'graphql', await runHttpProbes(worlds, caller, probes.graphql));
	}, 600_000);

	it('exports (/utils/export)', async () => {
		check(caller, 'export', await runExportProbes(worlds, caller, probes.exports));
	}, 600_000);

	it("Directus's /websocket (items reads and subscriptions)", async () => {
		check(caller, 'websocket', await runWsProbes(worlds, caller, probes.ws));
	}, 600_000);

	it("the bundle's Socket.IO (sync, presence, join)", async () => {
		check(caller, 'socket.io', await runSocketIoReads(worlds, caller));
	}, 120_000);

	it('live: Socket.IO and /websocket subscriptions receive nothing of B up to the sentinel', () => {
		const outcomes: Outcome[] = (['socketIo', 'ws'] as const).map((channel) => {
			const key = channel === 'socketIo' ? 'socketIoUntilSentinel' : 'wsUntilSentinel';
			const [one, two] = [1, 2].map((variant) => live.get(`${variant}:${caller}`)![key]!);
			return {
				label:
					channel === 'socketIo'
						? 'Socket.IO /community/socket.io (group:join A, then every event)'
						: '/websocket subscriptions to every collection',
				kind: 'live',
				transport: `live-${channel}`,
				w1: { status: 'recorded', body: one! },
				w2: { status: 'recorded', body: two! },
			};
		});
		for (const outcome of outcomes) expect(outcome.w1.body.length, 'a recording exists').toBeGreaterThan(2);
		saveReport(`${db}-${caller}-live`, { caller, recordings: outcomes });
		const diff = differences(outcomes).map((d) => ({ ...d, diff: recordingDiff(d.outcome.w1.body, d.outcome.w2.body) }));
		if (diff.length > 0) throw new Error(`live connections of ${caller} received something of B:\n${formatDifferences(caller, diff)}`);
	});
});
