import { describe, expect, it } from 'vitest';
import { unavailableService } from './unavailable.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('unavailableService', () => {
	it('recognises the ways a database goes away: refused, cut mid-query, no connection from the pool, shutting down', () => {
		const outages = [
			withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
			withCode('read ECONNRESET', 'ECONNRESET'),
			new Error('insert into "community_messages" ("body") values ($1) - Connection terminated unexpectedly'),
			Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }),
			withCode('terminating connection due to administrator command', '57P01'),
			withCode('connection failure', '08006'),
			new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''),
			new Error('query failed', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') }),
		];
		for (const error of outages) expect(unavailableService(error), error.message).toBe('database');
	});

	it('answers a deadlock or serialization failure as retryable, not as a bug', () => {
		expect(unavailableService(withCode('deadlock detected', '40P01'))).toBe('database');
		expect(unavailableService(withCode('could not serialize access due to concurrent update', '40001'))).toBe('database');
		// A prepared plan gone stale inside a transaction (db/prepared.ts): the next try plans it anew.
		expect(unavailableService(withCode('cached plan must not change result type', '0A000'))).toBe('database');
		expect(unavailableService(withCode('unsupported feature', '0A000'))).toBe(null);
	});

	it("recognises Directus's Redis client giving up on its queue after a long outage", () => {
		class MaxRetriesPerRequestError extends Error {
			override get name() {
				return 'MaxRetriesPerRequestError';
			}
		}
		expect(unavailableService(new MaxRetriesPerRequestError('Reached the max retries per request limit (which is 20).'))).toBe('redis');
	});

	it('leaves refusals and bugs alone', () => {
		const others = [
			withCode('duplicate key value violates unique constraint', '23505'),
			withCode('SQLITE_CONSTRAINT: UNIQUE constraint failed', 'SQLITE_CONSTRAINT'),
			Object.assign(new Error('You are muted in this group.'), { code: 'MEMBER_MUTED' }),
			new TypeError("Cannot read properties of undefined (reading 'id')"),
			'Connection terminated',
			null,
		];
		for (const error of others) expect(unavailableService(error), String(error)).toBe(null);
	});
});
