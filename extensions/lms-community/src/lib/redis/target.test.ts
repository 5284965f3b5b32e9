import { describe, expect, it } from 'vitest';
import { describeRedisTarget, readRedisTarget } from './target.js';

describe("the bundle's Redis, read from Directus's settings", () => {
	it('none without REDIS or REDIS_*; REDIS_ENABLED=false turns any off', () => {
		expect(readRedisTarget({ COMMUNITY_REDIS_PREFIX: 'x:' })).toBeNull();
		expect(readRedisTarget({ REDIS: 'redis://r:6379', REDIS_ENABLED: false })).toBeNull();
		expect(readRedisTarget({ REDIS: 'redis://r:6379', REDIS_ENABLED: true })).toEqual({ kind: 'url', url: 'redis://r:6379' });
	});

	it('REDIS wins over the REDIS_* options, as in Directus', () => {
		expect(readRedisTarget({ REDIS: 'redis://r:6379', REDIS_HOST: 'other', REDIS_SENTINELS: [{ host: 's', port: 1 }] })).toEqual({
			kind: 'url',
			url: 'redis://r:6379',
		});
	});

	it('REDIS_HOST, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD and REDIS_DB make a URL; ioredis defaults fill the rest', () => {
		expect(readRedisTarget({ REDIS_HOST: 'cache', REDIS_PORT: 6380, REDIS_PASSWORD: 'p@ss/word', REDIS_DB: 2 })).toEqual({
			kind: 'url',
			url: 'redis://:p%40ss%2Fword@cache:6380/2',
		});
		expect(readRedisTarget({ REDIS_USERNAME: 'app' })).toEqual({ kind: 'url', url: 'redis://app@localhost:6379/0' });
	});

	it('puts an IPv6 REDIS_HOST in brackets', () => {
		expect(readRedisTarget({ REDIS_HOST: '::1', REDIS_PORT: '6380' })).toEqual({ kind: 'url', url: 'redis://[::1]:6380/0' });
		expect(new URL((readRedisTarget({ REDIS_HOST: 'fd00::7' }) as { url: string }).url).hostname).toBe('[fd00::7]');
	});

	it('REDIS_SENTINELS (parsed by Directus from json:[…], or as text) with REDIS_NAME is a Sentinel target', () => {
		const sentinels = [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2' }];
		const expected = {
			kind: 'sentinel',
			sentinels: [
				{ host: '10.0.0.1', port: 26379 },
				{ host: '10.0.0.2', port: 26379 },
			],
			name: 'mymaster',
			sentinelUsername: undefined,
			sentinelPassword: 's-secret',
			username: undefined,
			password: 'secret',
			db: 1,
		};
		const env = { REDIS_NAME: 'mymaster', REDIS_SENTINEL_PASSWORD: 's-secret', REDIS_PASSWORD: 'secret', REDIS_DB: 1 };
		expect(readRedisTarget({ ...env, REDIS_SENTINELS: sentinels })).toEqual(expected);
		expect(readRedisTarget({ ...env, REDIS_SENTINELS: JSON.stringify(sentinels) })).toEqual(expected);
		expect(describeRedisTarget(readRedisTarget({ ...env, REDIS_SENTINELS: sentinels })!)).toBe(
			'Sentinel master "mymaster" via 10.0.0.1:26379, 10.0.0.2:26379',
		);
	});

	it('refuses Sentinel settings it cannot use, instead of running without Redis', () => {
		expect(() => readRedisTarget({ REDIS_SENTINELS: [{ host: 's', port: 1 }] })).toThrow(/without REDIS_NAME/);
		// What Directus makes of a JSON value with a comma that is not marked json: (a list of fragments).
		expect(() => readRedisTarget({ REDIS_NAME: 'm', REDIS_SENTINELS: ['[{"host":"s"', '"port":1}]'] })).toThrow(/json:\[/);
		expect(() => readRedisTarget({ REDIS_NAME: 'm', REDIS_SENTINELS: '[]' })).toThrow(/JSON array/);
	});

	it('logs a target without its passwords', () => {
		expect(describeRedisTarget({ kind: 'url', url: 'redis://user:secret@cache:6379/0' })).toBe('redis://cache:6379/0');
	});
});
