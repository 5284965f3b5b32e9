import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisClientType } from 'redis';
import { RateLimitedError } from '../errors/index.js';
import { communityMetrics, type CommunityMetrics } from '../ops/metrics.js';

/** Every way a member writes or asks the server to work, each with its own per-user budget. */
export const WRITE_KINDS = ['message', 'post', 'edit', 'reaction', 'report', 'read', 'join', 'typing', 'sync', 'presence'] as const;
export type WriteKind = (typeof WRITE_KINDS)[number];

export interface LimitRule {
	points: number;
	seconds: number;
}

/**
 * Defaults a classroom never meets (a fast typist sends a message every few seconds), and a script meets at
 * once. Each is `COMMUNITY_<KIND>_LIMIT` points per `COMMUNITY_<KIND>_LIMIT_SECONDS`; `message` keeps its
 * older names COMMUNITY_SEND_LIMIT(_SECONDS).
 */
export const DEFAULT_LIMITS: Record<WriteKind, LimitRule> = {
	message: { points: 20, seconds: 10 },
	post: { points: 10, seconds: 60 },
	edit: { points: 30, seconds: 60 },
	reaction: { points: 60, seconds: 60 },
	report: { points: 10, seconds: 60 },
	read: { points: 120, seconds: 60 },
	join: { points: 30, seconds: 60 },
	typing: { points: 10, seconds: 10 },
	sync: { points: 60, seconds: 60 },
	presence: { points: 60, seconds: 60 },
};

const positive = (value: unknown, fallback: number) => {
	const parsed = Number(value);
	return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
};

export function readLimitRules(env: Record<string, unknown>): Record<WriteKind, LimitRule> {
	const name = (kind: WriteKind) => (kind === 'message' ? 'SEND' : kind.toUpperCase());
	return Object.fromEntries(
		WRITE_KINDS.map((kind) => [
			kind,
			{
				points: positive(env[`COMMUNITY_${name(kind)}_LIMIT`], DEFAULT_LIMITS[kind].points),
				seconds: positive(env[`COMMUNITY_${name(kind)}_LIMIT_SECONDS`], DEFAULT_LIMITS[kind].seconds),
			},
		]),
	) as Record<WriteKind, LimitRule>;
}

const prepaid = new WeakSet<object>();

/**
 * A copy of `accountability` for a write whose budget was spent before it (the socket's `reaction:add` spends one
 * point per request, even when nothing changes): the items hooks, which spend for every other path, do not spend again.
 */
export function prepaidAccountability<T extends object>(accountability: T): T {
	const copy = { ...accountability };
	prepaid.add(copy);
	return copy;
}

export const isPrepaid = (accountability: object | null | undefined): boolean => !!accountability && prepaid.has(accountability);

interface Logger {
	warn(error: unknown, message?: string): void;
}

/**
 * Per-user write budgets, shared by REST, GraphQL, imports and the socket. In memory on one instance; counted in
 * Redis across instances once `useRedis` is called, with the in-memory budget as each instance's fallback while
 * Redis is away (a Redis outage limits locally rather than refusing everyone, or letting everyone through).
 */
export class WriteLimits {
	private readonly local: Record<WriteKind, RateLimiterMemory>;
	private shared: Record<WriteKind, RateLimiterAbstract> | null = null;
	/** Redis failed and has not answered since: the fallback is logged once per outage, not once per write. */
	private sharedDown = false;

	constructor(
		private readonly rules: Record<WriteKind, LimitRule>,
		private readonly prefix: string,
		private readonly logger: Logger,
		private readonly metrics: Pick<CommunityMetrics, 'rateLimitRefused'> = communityMetrics,
	) {
		this.local = this.build((options) => new RateLimiterMemory(options));
	}

	useRedis(client: RedisClientType): void {
		this.shared = this.build((options) => new RateLimiterRedis({ storeClient: client, useRedisPackage: true, ...options }));
	}

	/** Spends one point of `user`'s `kind` budget, or throws RATE_LIMITED with the wait. */
	async consume(kind: WriteKind, user: string): Promise<void> {
		const shared = this.shared?.[kind];
		try {
			await (shared ?? this.local[kind]).consume(user);
			this.sharedDown = false;
		} catch (rejection) {
			if (rejection instanceof RateLimiterRes) throw this.refused(kind, rejection);
			if (!shared) throw rejection;
			if (!this.sharedDown) this.logger.warn(rejection, 'community: rate limit store unavailable, limiting locally');
			this.sharedDown = true;
			await this.local[kind].consume(user).catch((local: unknown) => {
				throw local instanceof RateLimiterRes ? this.refused(kind, local) : local;
			});
		}
	}

	private refused(kind: WriteKind, result: RateLimiterRes) {
		this.metrics.rateLimitRefused(kind);
		return new RateLimitedError({ retry_after: Math.max(1, Math.ceil(result.msBeforeNext / 1000)) });
	}

	private build<T>(make: (options: { keyPrefix: string; points: number; duration: number }) => T): Record<WriteKind, T> {
		return Object.fromEntries(
			WRITE_KINDS.map((kind) => [
				kind,
				make({ keyPrefix: `${this.prefix}rl:${kind}`, points: this.rules[kind].points, duration: this.rules[kind].seconds }),
			]),
		) as Record<WriteKind, T>;
	}
}
