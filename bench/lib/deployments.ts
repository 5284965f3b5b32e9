import { fork } from 'node:child_process';
import path from 'node:path';
import {
	freePort,
	readConfig,
	startDirectusInstance,
	type DirectusInstance,
	type TestDatabase,
} from '../../tests/support/directus-instance.js';

/** Directus env for benchmarks: no per-user send limit in the way, any origin, long-lived admin tokens. */
export const BENCH_ENV: Record<string, string> = {
	COMMUNITY_SEND_LIMIT: '100000000',
	COMMUNITY_SEND_LIMIT_SECONDS: '1',
	COMMUNITY_POST_LIMIT: '100000000',
	COMMUNITY_READ_LIMIT: '100000000',
	COMMUNITY_JOIN_LIMIT: '100000000',
	COMMUNITY_SYNC_LIMIT: '100000000',
	COMMUNITY_PRESENCE_LIMIT: '100000000',
	COMMUNITY_SOCKET_ORIGINS: '*',
	COMMUNITY_SOCKETS_PER_USER: '100000',
	// Every generated client comes from 127.0.0.1.
	COMMUNITY_SOCKETS_PER_IP: '100000',
	// The seed enrols a 1,000-member room in one request.
	MAX_BATCH_MUTATION: '100000',
	ACCESS_TOKEN_TTL: '6h',
	LOG_LEVEL: 'error',
	// An experiment's extra Directus env, e.g. BENCH_DIRECTUS_ENV='{"DB_POOL__MAX":"30"}'.
	...(JSON.parse(process.env['BENCH_DIRECTUS_ENV'] ?? '{}') as Record<string, string>),
};

export interface Deployment {
	name: string;
	instances: DirectusInstance[];
	urls: string[];
	pids: number[];
	secret: string;
	db: TestDatabase;
	/** SQLite file or PostgreSQL database of the deployment. */
	connection: { client: 'sqlite3'; filename: string } | { client: 'pg'; database: string };
	stop(): Promise<void>;
}

function describe(name: string, instances: DirectusInstance[]): Deployment {
	const [first] = instances;
	const config = readConfig(first!.configPath);
	return {
		name,
		instances,
		urls: instances.map((i) => i.url),
		pids: instances.map((i) => i.pid),
		secret: first!.secret,
		db: first!.db,
		connection:
			first!.db === 'postgres'
				? { client: 'pg', database: config['DB_DATABASE']! }
				: { client: 'sqlite3', filename: config['DB_FILENAME']! },
		async stop() {
			for (const instance of [...instances].reverse()) await instance.stop();
		},
	};
}

export async function startSingle(name: string, db: TestDatabase, env: Record<string, string> = {}): Promise<Deployment> {
	return describe(name, [await startDirectusInstance({ db, env: { ...BENCH_ENV, ...env } })]);
}

/** Another Directus process on the same database (e.g. with different env), stopped before the first. */
export async function startBeside(name: string, base: Deployment, env: Record<string, string>): Promise<Deployment> {
	const instance = await startDirectusInstance({ db: base.db, env: { ...BENCH_ENV, ...env }, shareDatabaseWith: base.instances[0] });
	return { ...describe(name, [instance]), stop: () => instance.stop() };
}

/** Two Directus instances on one PostgreSQL database and one Redis, as behind a load balancer. */
export async function startPair(name: string, redisUrl: string, extra: Record<string, string> = {}): Promise<Deployment> {
	const env = { ...BENCH_ENV, REDIS: redisUrl, COMMUNITY_REDIS_PREFIX: `bench-${Date.now()}:`, ...extra };
	const first = await startDirectusInstance({ db: 'postgres', env });
	const second = await startDirectusInstance({ db: 'postgres', env, shareDatabaseWith: first });
	return describe(name, [first, second]);
}

/** Baseline (a): the bare Socket.IO relay in its own process. */
export async function startRelay(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
	const port = await freePort();
	const child = fork(path.join(import.meta.dirname, 'relay-server.ts'), [String(port)], { execArgv: ['--import', 'tsx'] });
	await new Promise((resolve) => child.once('message', resolve));
	return {
		url: `http://127.0.0.1:${port}`,
		pid: child.pid!,
		stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
	};
}
