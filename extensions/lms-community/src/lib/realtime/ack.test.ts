import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RateLimitedError } from '../errors/index.js';
import { toAckError } from './ack.js';

const silent = () => {
	const logged: unknown[] = [];
	return { logged, logger: { error: (error: unknown) => void logged.push(error) } };
};

describe('toAckError', () => {
	it('answers a database outage with the retryable SERVICE_UNAVAILABLE and retry_after, not INTERNAL', () => {
		const { logged, logger } = silent();
		const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
		expect(toAckError(refused, logger)).toEqual({
			ok: false,
			error: { code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable for a moment: retry in 2 s.', retry_after: 2 },
		});
		expect(logged).toEqual([]);
	});

	it('keeps the codes of Directus and zod errors, and answers anything else INTERNAL after logging it', () => {
		const { logged, logger } = silent();
		expect(toAckError(new RateLimitedError({ retry_after: 3 }), logger).error).toMatchObject({ code: 'RATE_LIMITED', retry_after: 3 });
		expect(toAckError(z.object({ a: z.number() }).safeParse({}).error, logger).error.code).toBe('INVALID_PAYLOAD');
		const bug = new TypeError('x is undefined');
		expect(toAckError(bug, logger).error.code).toBe('INTERNAL');
		expect(logged).toEqual([bug]);
	});
});
