import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEnvFile, renderEnvFile } from '../../scripts/lib/env-file.mjs';
import { Api } from '../support/api.js';
import { freePort, ROOT } from '../support/directus-instance.js';

interface StartRun {
	child: ChildProcess;
	output: () => string;
	stop: () => Promise<void>;
}

/** `npm start`'s script, pointed at its own config so it cannot touch a developer's .env or data/. */
async function npmStart(configPath: string): Promise<StartRun> {
	const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.mjs')], {
		cwd: ROOT,
		env: { ...process.env, CONFIG_PATH: configPath },
	});
	let output = '';
	child.stdout!.on('data', (chunk) => (output += chunk));
	child.stderr!.on('data', (chunk) => (output += chunk));
	const deadline = Date.now() + 120_000;
	while (!output.includes('LMS Community is running')) {
		if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
		await new Promise((r) => setTimeout(r, 250));
	}
	return {
		child,
		output: () => output,
		stop: () =>
			new Promise((resolve) => {
				if (child.exitCode !== null) return resolve();
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
			}),
	};
}

describe('npm start', () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'lms-community-start-'));
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	// Two cold starts (bootstrap, setup with the search indexes, start) in one test: more than the default minute.
	it('brings up Directus with the bundle, and a second start on the same data changes nothing and keeps it', async () => {
		const port = await freePort();
		const { text } = renderEnvFile(readFileSync(path.join(ROOT, '.env.example'), 'utf8'));
		const configPath = path.join(dir, '.env');
		writeFileSync(
			configPath,
			text
				.replace(/^PORT=.*$/m, `PORT=${port}`)
				.replace(/^PUBLIC_URL=.*$/m, `PUBLIC_URL=http://127.0.0.1:${port}`)
				.replace(/^DB_FILENAME=.*$/m, `DB_FILENAME=${path.join(dir, 'data', 'directus.db')}`)
				.replace(/^STORAGE_LOCAL_ROOT=.*$/m, `STORAGE_LOCAL_ROOT=${path.join(dir, 'data', 'uploads')}`),
		);
		const env = parseEnvFile(readFileSync(configPath, 'utf8'));
		const url = `http://127.0.0.1:${port}`;

		const first = await npmStart(configPath);
		let courseId: number;
		try {
			expect(first.output()).toContain(`Admin app: ${url}/admin`);
			expect(first.output()).toMatch(/schema .*community\.yaml: applied/);
			const health = await new Api(url).get('/community/health');
			expect(health.body.data.status).toBe('ok');
			const login = await new Api(url).post('/auth/login', { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD });
			const admin = new Api(url, login.body.data.access_token);
			courseId = (await admin.ok<{ id: number }>('POST', '/items/courses', { title: 'Kept', code: 'KEEP-1' })).id;
		} finally {
			await first.stop();
		}

		const second = await npmStart(configPath);
		try {
			expect(second.output()).toMatch(/schema .*lms\.yaml: up to date/);
			expect(second.output()).toMatch(/schema .*community\.yaml: up to date/);
			expect(second.output()).toContain('access: 0 created, 0 updated');
			const login = await new Api(url).post('/auth/login', { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD });
			const admin = new Api(url, login.body.data.access_token);
			const course = await admin.ok<{ code: string }>('GET', `/items/courses/${courseId}`);
			expect(course.code).toBe('KEEP-1');
		} finally {
			await second.stop();
		}
	}, 180_000);
});
