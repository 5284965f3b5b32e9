import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/directus-instance.js';

/**
 * `npm run bench -- --smoke`: the benchmark with tiny parameters, so it cannot rot. It checks that every part
 * ran and counted right (every message reached every member, nothing failed), never how fast anything was.
 * It starts its own SQLite and PostgreSQL deployments, so it runs once, in the SQLite pass.
 */
describe.runIf(process.env['TEST_DB'] !== 'postgres')('the benchmark, smoke profile', () => {
	it('runs every part and writes the JSON result', { timeout: 420_000 }, async () => {
		const out = path.join(ROOT, '.tmp', 'bench-smoke.json');
		const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
			const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', `--out=${out}`], {
				cwd: ROOT,
				env: process.env,
			});
			let output = '';
			child.stdout.on('data', (chunk) => (output += chunk));
			child.stderr.on('data', (chunk) => (output += chunk));
			child.on('exit', (code) => resolve({ code, output }));
		});
		expect(result.code, result.output.slice(-3000)).toBe(0);

		const json = JSON.parse(readFileSync(out, 'utf8'));
		expect(json.profile).toBe('smoke');
		expect(json.chat.map((sweep: any) => sweep.target).sort()).toEqual(
			['Directus realtime (/websocket)', 'bare Socket.IO relay', 'ours, PostgreSQL', 'ours, SQLite', 'ours, nothing stored'].sort(),
		);
		for (const sweep of json.chat) {
			expect(sweep.results.length, sweep.target).toBeGreaterThan(0);
			for (const run of sweep.results) {
				expect(run.expectedDeliveries, sweep.target).toBeGreaterThan(0);
				expect([run.received, run.errors, run.lost], sweep.target).toEqual([run.expectedDeliveries, 0, 0]);
				expect(run.latency.count, sweep.target).toBe(run.received);
			}
		}
		const stored = json.chat.find((sweep: any) => sweep.target === 'ours, SQLite').results[0];
		expect(stored.persistedPerS).toBeGreaterThan(0);
		expect(json.ratios.map((r: any) => r.baseline)).toHaveLength(3);
		expect(json.insertLoop.sqlite.rows).toBeGreaterThan(0);
		expect(json.insertLoop.postgres.rows).toBeGreaterThan(0);
		expect(json.rest.cases).toHaveLength(7);
		for (const restCase of json.rest.cases) expect([restCase.name, restCase.non2xx, restCase.errors]).toEqual([restCase.name, 0, 0]);
		expect(json.startup.startToPingMs).toBeGreaterThan(0);
		expect(readFileSync(out.replace(/\.json$/, '.md'), 'utf8')).toContain('### Chat, end to end');
	});
});
