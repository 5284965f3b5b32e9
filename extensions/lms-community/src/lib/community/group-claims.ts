import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { createClient, type RedisClientType } from 'redis';
import { redisClientOptions } from '../redis/sentinel-relay.js';
import type { RedisTarget } from '../redis/target.js';

/**
 * Directus runs a `schedule` on every instance. Retention claims each group before working on it, so that of
 * several instances exactly one works on a group at a time; the work itself finds nothing left to do when it
 * runs again, so a later run by another instance changes nothing either.
 */
export interface GroupClaims {
	/** Claims the group until `release` is called or the claim expires; null when another instance holds it. */
	claim(group: number): Promise<(() => Promise<void>) | null>;
	close(): Promise<void>;
}

export interface GroupClaimsOptions {
	knex: Knex;
	/** Directus's Redis (redis/target.ts): claims are Redis keys (`SET NX PX`); none: a claim column on the group row. */
	redis: RedisTarget | null;
	redisPrefix: string;
	/** A claim whose holder died expires after this long. */
	ttlMs: number;
	logger: { warn(error: unknown, message?: string): void; info(message: string): void };
}

export function createGroupClaims(options: GroupClaimsOptions): GroupClaims {
	return options.redis ? redisClaims(options, options.redis) : databaseClaims(options);
}

/** Deletes the key only while it still holds our token: an expired claim taken over by another is theirs. */
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

function redisClaims({ redisPrefix, ttlMs, logger }: GroupClaimsOptions, target: RedisTarget): GroupClaims {
	let client: Promise<RedisClientType> | null = null;
	// Connected on first use: the hook also loads in CLI commands, which never claim anything.
	const connected = () => {
		client ??= redisClientOptions(target, logger).then(async (options) => {
			const created = createClient({ ...options, disableOfflineQueue: true }) as RedisClientType;
			created.on('error', (error: unknown) => logger.warn(error, 'community retention: redis'));
			await created.connect();
			return created;
		});
		return client;
	};
	return {
		async claim(group) {
			const redis = await connected();
			const key = `${redisPrefix}retention:group:${group}`;
			const token = randomUUID();
			if ((await redis.set(key, token, { NX: true, PX: ttlMs })) !== 'OK') return null;
			return async () => {
				await redis.eval(RELEASE_SCRIPT, { keys: [key], arguments: [token] });
			};
		},
		async close() {
			if (client) await (await client).quit().catch(() => undefined);
		},
	};
}

/** `retention_claimed_until` (epoch ms) on the group row: a conditional update lets one instance in. */
function databaseClaims({ knex, ttlMs }: GroupClaimsOptions): GroupClaims {
	return {
		async claim(group) {
			const now = Date.now();
			const until = now + ttlMs;
			const claimed = await knex('community_groups')
				.where({ id: group })
				.andWhere((free) => free.whereNull('retention_claimed_until').orWhere('retention_claimed_until', '<', now))
				.update({ retention_claimed_until: until });
			if (claimed !== 1) return null;
			return async () => {
				await knex('community_groups').where({ id: group, retention_claimed_until: until }).update({ retention_claimed_until: null });
			};
		},
		async close() {},
	};
}

let shared: GroupClaims | null = null;

/** The process's claims (one Redis connection at most), shared by the schedule and the admin endpoint. */
export function useGroupClaims(options: Omit<GroupClaimsOptions, 'ttlMs'>): GroupClaims {
	// Long enough for any group's run; a crashed instance's claim frees itself after it.
	shared ??= createGroupClaims({ ...options, ttlMs: 10 * 60_000 });
	return shared;
}

export async function closeGroupClaims(): Promise<void> {
	const claims = shared;
	shared = null;
	await claims?.close();
}
