import { describe, expect, it } from 'vitest';
import { decideReadiness, httpStatusOf, timedCheck } from './health.js';

describe('readiness', () => {
	it('is 503 only for what is wrong with this instance', () => {
		expect(decideReadiness({ draining: false, socketUp: false, socketWasUp: false })).toBe('starting');
		expect(decideReadiness({ draining: false, socketUp: true, socketWasUp: true })).toBe('ok');
		expect(decideReadiness({ draining: false, socketUp: false, socketWasUp: true })).toBe('socket_down');
		expect(decideReadiness({ draining: true, socketUp: true, socketWasUp: true })).toBe('draining');
		expect(httpStatusOf({ status: 'ok' })).toBe(200);
		for (const status of ['starting', 'draining', 'socket_down'] as const) expect(httpStatusOf({ status })).toBe(503);
	});

	it('a dependency that fails or hangs is reported down with its latency, never thrown', async () => {
		expect(await timedCheck(async () => 'pong', 1_000)).toMatchObject({ status: 'ok' });
		expect(await timedCheck(() => Promise.reject(new Error('ECONNREFUSED')), 1_000)).toMatchObject({
			status: 'down',
			error: 'ECONNREFUSED',
		});
		const hung = await timedCheck(() => new Promise(() => undefined), 20);
		expect(hung).toMatchObject({ status: 'down', error: 'no answer within 20 ms' });
		expect((hung as { latency_ms: number }).latency_ms).toBeGreaterThanOrEqual(15);
	});
});
