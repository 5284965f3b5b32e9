import { describe, expect, it } from 'vitest';
import { multiInstanceWarnings } from './multi-instance.js';

const redis = { kind: 'url', url: 'redis://r:6379' } as const;

describe('settings missing for several instances', () => {
	it('nothing to say for one instance without Redis', () => {
		expect(multiInstanceWarnings({}, null)).toEqual([]);
	});

	it("with Redis, names each of Directus's stores that is not on it", () => {
		expect(multiInstanceWarnings({ RATE_LIMITER_ENABLED: true }, redis).map((line) => line.split(' ')[0])).toEqual([
			'CACHE_STORE',
			'SYNCHRONIZATION_STORE',
			'RATE_LIMITER_STORE',
		]);
		// Directus's rate limiter is off by default: its store does not matter then.
		expect(multiInstanceWarnings({ CACHE_STORE: 'redis', SYNCHRONIZATION_STORE: 'redis' }, redis)).toEqual([]);
		expect(
			multiInstanceWarnings(
				{ CACHE_STORE: 'redis', SYNCHRONIZATION_STORE: 'redis', RATE_LIMITER_ENABLED: 'true', RATE_LIMITER_STORE: 'redis' },
				redis,
			),
		).toEqual([]);
	});
});
