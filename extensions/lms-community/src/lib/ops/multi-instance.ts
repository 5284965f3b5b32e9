import type { RedisTarget } from '../redis/target.js';

const isRedis = (value: unknown) => String(value ?? 'memory') === 'redis';
const isOn = (value: unknown) => value === true || value === 'true';

/**
 * Settings missing for several instances, as lines for the log at start. With Redis the bundle runs as one of
 * several instances (docs/scaling.md), and Directus's own stores must then be shared too; Directus starts
 * without a word when they are not.
 */
export function multiInstanceWarnings(env: Record<string, unknown>, redis: RedisTarget | null): string[] {
	if (!redis) return [];
	const warnings: string[] = [];
	if (!isRedis(env['CACHE_STORE']))
		warnings.push('CACHE_STORE is not redis: each instance keeps its own schema cache and locks (set CACHE_STORE=redis)');
	if (!isRedis(env['SYNCHRONIZATION_STORE']))
		warnings.push('SYNCHRONIZATION_STORE is not redis: Directus schedules run on every instance (set SYNCHRONIZATION_STORE=redis)');
	if (isOn(env['RATE_LIMITER_ENABLED']) && !isRedis(env['RATE_LIMITER_STORE']))
		warnings.push("RATE_LIMITER_STORE is not redis: Directus's rate limits count per instance (set RATE_LIMITER_STORE=redis)");
	return warnings;
}
