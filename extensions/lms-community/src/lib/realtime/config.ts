/** Options of the community socket, read once from Directus's env. Each default is documented in docs/realtime.md. */
export interface RealtimeConfig {
	/** Socket.IO path. */
	path: string;
	/** Allowed browser origins (`*` = any). Requests without an Origin header (native apps) are always allowed. */
	origins: string[] | '*';
	/** Largest accepted frame, in bytes (Socket.IO's default is 1 MB). */
	maxPayloadBytes: number;
	/** message:send per user: `points` in `seconds`. */
	sendLimit: { points: number; seconds: number };
	/** typing:start per user: `points` in `seconds`. */
	typingLimit: { points: number; seconds: number };
	/** A typing indicator ends by itself after this long without a refresh. */
	typingTtlMs: number;
	/** Presence heartbeat: each instance refreshes its entry this often; an entry dies after 3 beats. */
	presenceHeartbeatMs: number;
	/** How often each instance re-checks its sockets' sessions, user status and enrollment dates (batched). */
	accessRecheckMs: number;
	/** Largest page of message:sync. */
	syncPageMax: number;
	/** Redis URL (Directus's own REDIS); unset: one instance, everything in memory. */
	redisUrl: string | null;
	/** Prefix of the bundle's Redis keys and channels. */
	redisPrefix: string;
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

export function readRealtimeConfig(env: Record<string, unknown>): RealtimeConfig {
	const origins = String(env['COMMUNITY_SOCKET_ORIGINS'] ?? env['PUBLIC_URL'] ?? '*').trim();
	return {
		path: String(env['COMMUNITY_SOCKET_PATH'] ?? '/community/socket.io'),
		origins: origins === '*' ? '*' : origins.split(',').map((o) => new URL(o.trim()).origin),
		maxPayloadBytes: number(env['COMMUNITY_SOCKET_MAX_PAYLOAD'], 64 * 1024),
		sendLimit: { points: number(env['COMMUNITY_SEND_LIMIT'], 20), seconds: number(env['COMMUNITY_SEND_LIMIT_SECONDS'], 10) },
		typingLimit: { points: number(env['COMMUNITY_TYPING_LIMIT'], 10), seconds: number(env['COMMUNITY_TYPING_LIMIT_SECONDS'], 10) },
		typingTtlMs: number(env['COMMUNITY_TYPING_TTL_MS'], 5_000),
		presenceHeartbeatMs: number(env['COMMUNITY_PRESENCE_HEARTBEAT_MS'], 10_000),
		accessRecheckMs: number(env['COMMUNITY_ACCESS_RECHECK_MS'], 5_000),
		syncPageMax: 200,
		redisUrl: env['REDIS'] ? String(env['REDIS']) : null,
		redisPrefix: String(env['COMMUNITY_REDIS_PREFIX'] ?? 'lms-community:'),
		benchRelayOnly: String(env['COMMUNITY_BENCH_RELAY_ONLY'] ?? '') === 'true',
	};
}
