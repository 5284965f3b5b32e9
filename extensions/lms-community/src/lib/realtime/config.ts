import type { BufferCaps } from './backpressure.js';
import { readRedisTarget, type RedisTarget } from '../redis/target.js';
import type { RedisAdapterKind } from './redis.js';
/** Options of the community socket, read once from Directus's env. Each default is documented in docs/realtime.md. */
export interface RealtimeConfig {
	/** Socket.IO path. */
	path: string;
	/** Allowed browser origins (`*` = any). Requests without an Origin header (native apps) are always allowed. */
	origins: string[] | '*';
	/** The admin app's origin (PUBLIC_URL's): always allowed, and the only one a session cookie is accepted from. */
	appOrigin: string | null;
	/** Directus's SESSION_COOKIE_NAME (`directus_session_token`): the admin app's way in. */
	sessionCookieName: string;
	/** Largest accepted frame, in bytes (Socket.IO's default is 1 MB). */
	maxPayloadBytes: number;
	/** A typing indicator ends by itself after this long without a refresh. */
	typingTtlMs: number;
	/** Presence heartbeat: each instance refreshes its entry this often; an entry dies after 3 beats. */
	presenceHeartbeatMs: number;
	/** Presence changes of a group are announced together, once per this window (a connect storm stays linear). */
	presenceBatchMs: number;
	/** Largest online list `group:join` and `presence:get` answer (`online_count` counts everyone). */
	presenceListMax: number;
	/** How often each instance re-checks its sockets' sessions, user status and enrollment dates (batched). */
	accessRecheckMs: number;
	/** Live sockets one user may hold across instances; a new one beyond it closes their oldest. */
	socketsPerUser: number;
	/** Live sockets from one IP address on one instance (a campus NAT puts many students behind one address). */
	socketsPerIp: number;
	/** Take the client address from X-Forwarded-For (Directus's IP_TRUST_PROXY), as behind a balancer. */
	trustProxy: boolean;
	/** A receiver with more unsent data than this is disconnected (backpressure.ts); checked once a second. */
	bufferCaps: BufferCaps;
	/** Largest page of message:sync. */
	syncPageMax: number;
	/** Directus's own Redis (`REDIS`, or the `REDIS_*` options, Sentinel included: redis/target.ts); none: one instance, everything in memory. */
	redis: RedisTarget | null;
	/** Prefix of the bundle's Redis keys and channels. */
	redisPrefix: string;
	/** How broadcasts travel between instances through Redis (redis.ts). */
	redisAdapter: RedisAdapterKind;
	/**
	 * Benchmarks only (`COMMUNITY_BENCH_RELAY_ONLY=true`): message:send checks its input and the joined group,
	 * then relays to the room without storing anything. It measures what hosting the socket in Directus costs.
	 */
	benchRelayOnly: boolean;
}

const number = (value: unknown, fallback: number): number => {
	const parsed = Number(value);
	return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
};

const ADAPTERS: readonly RedisAdapterKind[] = ['pubsub', 'sharded', 'streams'];
const adapterKind = (value: unknown): RedisAdapterKind => {
	const kind = String(value ?? 'pubsub') as RedisAdapterKind;
	if (!ADAPTERS.includes(kind)) throw new Error(`COMMUNITY_REDIS_ADAPTER must be one of ${ADAPTERS.join(', ')}, not "${kind}"`);
	return kind;
};

/** PUBLIC_URL's origin; null when it is not an absolute URL (Directus's default is `/`). */
function originOf(value: unknown): string | null {
	try {
		return new URL(String(value)).origin;
	} catch {
		return null;
	}
}

export function readRealtimeConfig(env: Record<string, unknown>): RealtimeConfig {
	const origins = String(env['COMMUNITY_SOCKET_ORIGINS'] ?? env['PUBLIC_URL'] ?? '*').trim();
	return {
		path: String(env['COMMUNITY_SOCKET_PATH'] ?? '/community/socket.io'),
		origins: origins === '*' ? '*' : origins.split(',').map((o) => new URL(o.trim()).origin),
		appOrigin: originOf(env['PUBLIC_URL']),
		sessionCookieName: String(env['SESSION_COOKIE_NAME'] ?? 'directus_session_token'),
		maxPayloadBytes: number(env['COMMUNITY_SOCKET_MAX_PAYLOAD'], 64 * 1024),
		typingTtlMs: number(env['COMMUNITY_TYPING_TTL_MS'], 5_000),
		presenceHeartbeatMs: number(env['COMMUNITY_PRESENCE_HEARTBEAT_MS'], 10_000),
		presenceBatchMs: number(env['COMMUNITY_PRESENCE_BATCH_MS'], 250),
		presenceListMax: number(env['COMMUNITY_PRESENCE_LIST_MAX'], 100),
		accessRecheckMs: number(env['COMMUNITY_ACCESS_RECHECK_MS'], 5_000),
		socketsPerUser: number(env['COMMUNITY_SOCKETS_PER_USER'], 10),
		socketsPerIp: number(env['COMMUNITY_SOCKETS_PER_IP'], 500),
		trustProxy: String(env['IP_TRUST_PROXY'] ?? 'true') !== 'false',
		bufferCaps: {
			maxPackets: number(env['COMMUNITY_SOCKET_BUFFER_PACKETS'], 1_000),
			maxBytes: number(env['COMMUNITY_SOCKET_BUFFER_BYTES'], 1024 * 1024),
		},
		syncPageMax: 200,
		redis: readRedisTarget(env),
		redisPrefix: String(env['COMMUNITY_REDIS_PREFIX'] ?? 'lms-community:'),
		redisAdapter: adapterKind(env['COMMUNITY_REDIS_ADAPTER']),
		benchRelayOnly: String(env['COMMUNITY_BENCH_RELAY_ONLY'] ?? '') === 'true',
	};
}
