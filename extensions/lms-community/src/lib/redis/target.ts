export interface HostPort {
	host: string;
	port: number;
}

/** The master of a Sentinel group and how to log in to it and to its sentinels (ioredis's option names). */
export interface SentinelTarget {
	kind: 'sentinel';
	sentinels: HostPort[];
	/** The master group's name (REDIS_NAME). */
	name: string;
	sentinelUsername?: string;
	sentinelPassword?: string;
	username?: string;
	password?: string;
	db: number;
}

/**
 * Where the bundle's Redis is: Directus's own Redis settings, read as Directus 12 reads them. `REDIS` (a URL)
 * wins; otherwise every `REDIS_*` variable is an ioredis option (`REDIS_HOST`, `REDIS_PORT`, `REDIS_USERNAME`,
 * `REDIS_PASSWORD`, `REDIS_DB`, or `REDIS_SENTINELS` + `REDIS_NAME` for Sentinel); `REDIS_ENABLED=false` turns
 * Redis off. The other ioredis options (TLS and such) have no node-redis twin here: use a `rediss://` URL.
 */
export type RedisTarget = { kind: 'url'; url: string } | SentinelTarget;

const optionOf = (env: Record<string, unknown>, name: string): unknown => env[`REDIS_${name}`];
const text = (value: unknown): string | undefined => (value === undefined || value === null || value === '' ? undefined : String(value));

/** Directus's rule (redis-config-available.ts): `REDIS_ENABLED` decides if set, else any `REDIS`/`REDIS_*` variable. */
function redisConfigured(env: Record<string, unknown>): boolean {
	if ('REDIS_ENABLED' in env) return env['REDIS_ENABLED'] === true || env['REDIS_ENABLED'] === 'true';
	return Object.keys(env).some((key) => key === 'REDIS' || key.startsWith('REDIS_'));
}

export function readRedisTarget(env: Record<string, unknown>): RedisTarget | null {
	if (!redisConfigured(env)) return null;
	const url = text(env['REDIS']);
	if (url) return { kind: 'url', url };
	const credentials = { username: text(optionOf(env, 'USERNAME')), password: text(optionOf(env, 'PASSWORD')) };
	const db = Number(optionOf(env, 'DB') ?? 0);
	if (optionOf(env, 'SENTINELS') !== undefined) {
		const name = text(optionOf(env, 'NAME'));
		if (!name) throw new Error('REDIS_SENTINELS is set without REDIS_NAME, the name of the master group');
		return {
			kind: 'sentinel',
			sentinels: sentinelsOf(optionOf(env, 'SENTINELS')),
			name,
			sentinelUsername: text(optionOf(env, 'SENTINEL_USERNAME')),
			sentinelPassword: text(optionOf(env, 'SENTINEL_PASSWORD')),
			...credentials,
			db,
		};
	}
	const { username, password } = credentials;
	const login = password
		? `${encodeURIComponent(username ?? '')}:${encodeURIComponent(password)}@`
		: username
			? `${encodeURIComponent(username)}@`
			: '';
	const name = text(optionOf(env, 'HOST')) ?? 'localhost';
	// An IPv6 address goes in brackets in a URL.
	const host = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
	const port = text(optionOf(env, 'PORT')) ?? '6379';
	return { kind: 'url', url: `redis://${login}${host}:${port}/${db}` };
}

/**
 * `REDIS_SENTINELS` as Directus hands it over: a JSON array of `{ host, port }`. Directus splits a value with a
 * comma into a list unless it is written `json:[…]`, so a split value is refused with that advice.
 */
function sentinelsOf(value: unknown): HostPort[] {
	let parsed = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			parsed = null;
		}
	}
	const valid =
		Array.isArray(parsed) &&
		parsed.length > 0 &&
		parsed.every((entry) => typeof entry === 'object' && entry !== null && typeof (entry as HostPort).host === 'string');
	if (!valid)
		throw new Error('REDIS_SENTINELS must be a JSON array of { "host", "port" }, written REDIS_SENTINELS=json:[{"host":"…","port":26379}]');
	return (parsed as Array<{ host: string; port?: unknown }>).map(({ host, port }) => ({ host, port: Number(port ?? 26379) }));
}

/** How a target appears in logs: never with its passwords. */
export function describeRedisTarget(target: RedisTarget): string {
	if (target.kind === 'sentinel')
		return `Sentinel master "${target.name}" via ${target.sentinels.map((s) => `${s.host}:${s.port}`).join(', ')}`;
	const url = new URL(target.url);
	url.username = '';
	url.password = '';
	return url.toString();
}
