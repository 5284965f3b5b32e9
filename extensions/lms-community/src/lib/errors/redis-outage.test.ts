import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** A process of its own: the guard is process-wide, and the test runner has unhandled-rejection listeners of its own. */
function run(thenABug: boolean) {
	const script = `
		import { surviveDirectusRedisOutages } from ${JSON.stringify(path.join(import.meta.dirname, 'redis-outage.ts'))};
		const warnings = [];
		surviveDirectusRedisOutages({ warn: (_error, message) => warnings.push(message) });
		class MaxRetriesPerRequestError extends Error { get name() { return 'MaxRetriesPerRequestError'; } }
		Promise.reject(new MaxRetriesPerRequestError('Reached the max retries per request limit (which is 20).'));
		Promise.reject(new MaxRetriesPerRequestError('Reached the max retries per request limit (which is 20).'));
		setTimeout(() => {
			console.log(JSON.stringify(warnings));
			if (${thenABug}) Promise.reject(new Error('a bug'));
		}, 20);
	`;
	return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
}

describe('surviveDirectusRedisOutages', () => {
	it("outlives the commands Directus's Redis client drops after a long outage, with one warning", () => {
		const result = run(false);
		expect(result.status, result.stderr).toBe(0);
		expect(JSON.parse(result.stdout)).toEqual([
			"community: Redis is away for long: Directus's Redis client dropped commands nobody awaited; the process goes on",
		]);
	});

	it('still ends the process on any other unhandled rejection, as Node would', () => {
		const result = run(true);
		expect(result.status).not.toBe(0);
		expect(result.stderr).toContain('a bug');
	});
});
