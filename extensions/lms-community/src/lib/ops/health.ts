import type { Knex } from 'knex';
import { createClient, type RedisClientType } from 'redis';
import { redisClientOptions } from '../redis/sentinel-relay.js';
import type { RedisTarget } from '../redis/target.js';
import { useRealtime } from '../realtime/use-realtime.js';
import { BUNDLE_VERSION } from '../version.js';
import { isDraining } from './lifecycle.js';

/** Why this instance should (not) get traffic. Only its own state counts; shared services never take it out. */
export type Readiness = 'ok' | 'starting' | 'draining' | 'socket_down';

export interface InstanceState {
	draining: boolean;
	/** The socket server exists and its HTTP server listens. */
	socketUp: boolean;
	/** The socket server was up at some point in this process (so its absence now is a failure, not a start). */
	socketWasUp: boolean;
}

export function decideReadiness({ draining, socketUp, socketWasUp }: InstanceState): Readiness {
	if (draining) return 'draining';
	if (socketUp) return 'ok';
	return socketWasUp ? 'socket_down' : 'starting';
}

export type DependencyCheck =
	{ status: 'ok'; latency_ms: number } | { status: 'down'; latency_ms: number; error: string } | { status: 'not_configured' };

export interface HealthReport {
	status: Readiness;
	version: string;
	/** The socket server's instance id, as in its Redis keys (null while it is not up). */
	instance: string | null;
	checks: { database: DependencyCheck; redis: DependencyCheck };
}

/** 503 takes the instance out of the balancer; a shared outage (database, Redis) does not, or all go at once. */
export const httpStatusOf = (report: Pick<HealthReport, 'status'>): 200 | 503 => (report.status === 'ok' ? 200 : 503);

/** Runs one probe under a deadline: a hung dependency answers `down`, never a hung health check. */
export async function timedCheck(
	probe: () => Promise<unknown>,
	timeoutMs: number,
	now: () => number = performance.now.bind(performance),
): Promise<DependencyCheck> {
	const started = now();
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
	});
	try {
		await Promise.race([probe(), deadline]);
		return { status: 'ok', latency_ms: Math.round(now() - started) };
	} catch (error) {
		return { status: 'down', latency_ms: Math.round(now() - started), error: error instanceof Error ? error.message : String(error) };
	} finally {
		clearTimeout(timer);
	}
}

interface Logger {
	warn(error: unknown, message?: string): void;
	info(message: string): void;
}

export interface HealthProbes {
	database(): Promise<DependencyCheck>;
	redis(): Promise<DependencyCheck>;
	close(): Promise<void>;
}

/**
 * Pings the database (`select 1` on Directus's pool) and Redis (its own connection: the socket server's are
 * private to it, and Directus's ioredis queues commands for seconds while Redis is away). The Redis connection
 * is opened on the first check and fails fast while Redis is away (no offline queue).
 */
export function createHealthProbes(options: {
	database: Knex;
	redis: RedisTarget | null;
	timeoutMs: number;
	logger: Logger;
}): HealthProbes {
	const { database, redis: target, timeoutMs, logger } = options;
	let redis: RedisClientType | null = null;
	/** Settles once the first connection is up; from then on a lost connection fails the ping at once. */
	let firstReady: Promise<RedisClientType> | null = null;
	const connected = (redisTarget: RedisTarget) =>
		(firstReady ??= redisClientOptions(redisTarget, logger).then(
			(clientOptions) => {
				const client = createClient({ ...clientOptions, disableOfflineQueue: true }) as RedisClientType;
				let down = false;
				client.on('error', (error: unknown) => {
					if (!down) logger.warn(error, 'community health: redis unreachable');
					down = true;
				});
				const ready = new Promise<RedisClientType>((resolve) => client.once('ready', () => resolve(client)));
				client.on('ready', () => (down = false));
				client.connect().catch(() => undefined);
				redis = client;
				return ready;
			},
			(error: unknown) => {
				// Try again at the next check.
				firstReady = null;
				throw error;
			},
		));
	const ping = async (redisTarget: RedisTarget) => (await connected(redisTarget)).ping();
	return {
		database: () => timedCheck(() => database.raw('select 1'), timeoutMs),
		redis: async () => (target ? timedCheck(() => ping(target), timeoutMs) : { status: 'not_configured' }),
		async close() {
			const client = redis as RedisClientType | null;
			redis = null;
			firstReady = null;
			if (client) await (client.isReady ? client.quit() : client.disconnect()).catch(() => undefined);
		},
	};
}

let socketWasUp = false;

/** This instance's readiness and its dependencies' state, as `GET /community/health` answers it. */
export async function checkHealth(probes: HealthProbes): Promise<HealthReport> {
	const realtime = useRealtime();
	const socketUp = realtime !== null && realtime.io.httpServer?.listening === true;
	socketWasUp ||= socketUp;
	const [database, redis] = await Promise.all([probes.database(), probes.redis()]);
	return {
		status: decideReadiness({ draining: isDraining(), socketUp, socketWasUp }),
		version: BUNDLE_VERSION,
		instance: realtime?.instanceId ?? null,
		checks: { database, redis },
	};
}

let shared: HealthProbes | null = null;

/** The probes of this process, made on first use: the endpoint checks through them, the hook closes them on stop. */
export function useHealthProbes(options: Parameters<typeof createHealthProbes>[0]): HealthProbes {
	shared ??= createHealthProbes(options);
	return shared;
}

export async function closeHealthProbes(): Promise<void> {
	const probes = shared;
	shared = null;
	await probes?.close();
}

/**
 * What anyone may read: the readiness and each dependency's state. The error texts (addresses, user names of the
 * database connection) are for admins: the route is open to the balancer, and so to everyone.
 */
export function publicHealth(report: HealthReport): HealthReport {
	const withoutError = (check: DependencyCheck): DependencyCheck =>
		check.status === 'down' ? { status: 'down', latency_ms: check.latency_ms, error: 'unavailable' } : check;
	return { ...report, checks: { database: withoutError(report.checks.database), redis: withoutError(report.checks.redis) } };
}
