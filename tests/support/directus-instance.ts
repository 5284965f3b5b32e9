import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const DIRECTUS_CLI = path.join(ROOT, 'node_modules/directus/cli.js');

export type TestDatabase = 'sqlite' | 'postgres';

export interface DirectusInstanceOptions {
	db: TestDatabase;
	/** Extra Directus env (e.g. ACCESS_TOKEN_TTL, REDIS). */
	env?: Record<string, string>;
	/** Reuse another instance's database (a second instance of the same deployment). */
	shareDatabaseWith?: DirectusInstance;
}

export interface DirectusInstance {
	url: string;
	port: number;
	db: TestDatabase;
	configPath: string;
	admin: { email: string; password: string };
	secret: string;
	databaseName: string | null;
	logFile: string;
	/** The Directus server process (for CPU and memory readings). */
	pid: number;
	/** From spawning `directus start` to the first answer of /server/ping. */
	startupMs: number;
	/** Runs a Directus CLI command against this instance's config. */
	cli(args: string[]): Promise<CliResult>;
	/** Whether the process is still running (it was neither stopped nor crashed, nor ended by itself). */
	alive(): boolean;
	/** Kills the process without a goodbye (SIGKILL), as a crash would. */
	crash(): Promise<void>;
	/**
	 * Ends the process as an orchestrator would (SIGTERM; nothing if it already ended) and starts it again on the
	 * same port, config and database, resolving once it answers /server/ping. The data stays.
	 */
	restart(): Promise<void>;
	/** SIGTERM, as an orchestrator's stop: resolves once the process has exited (the test watches it drain meanwhile). */
	shutDown(): Promise<void>;
	stop(): Promise<void>;
}

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

export const PG_CONNECTION = { host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres' };

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
		});
	});
}

async function withPg<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ ...PG_CONNECTION, database: 'postgres' });
	await client.connect();
	try {
		return await work(client);
	} finally {
		await client.end();
	}
}

export function runCli(configPath: string, args: string[], cwd: string = ROOT): Promise<CliResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [DIRECTUS_CLI, ...args], { cwd, env: { ...process.env, CONFIG_PATH: configPath } });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.on('error', reject);
		child.on('exit', (code) => resolve({ code, stdout, stderr }));
	});
}

async function waitForPing(url: string, child: ChildProcess, logFile: string, timeoutMs = 90_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`Directus exited (${child.exitCode}):\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
		const ok = await fetch(`${url}/server/ping`).then(
			(r) => r.ok,
			() => false,
		);
		if (ok) return;
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`Directus did not answer /server/ping within ${timeoutMs} ms:\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
}

/**
 * Starts a real Directus process with the built bundle on a throwaway database: its own config file
 * (values in a .env override the process env, so each instance needs its own), a free port, a temporary
 * SQLite file or a fresh PostgreSQL database. `stop()` removes all of it, whatever the tests did.
 */
export async function startDirectusInstance(options: DirectusInstanceOptions): Promise<DirectusInstance> {
	const dir = mkdtempSync(path.join(tmpdir(), 'lms-community-test-'));
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const shared = options.shareDatabaseWith;
	const admin = shared?.admin ?? { email: 'admin@example.com', password: randomBytes(12).toString('hex') };
	const secret = shared?.secret ?? randomBytes(32).toString('hex');
	let databaseName: string | null = shared?.databaseName ?? null;

	const dbEnv: Record<string, string> = {};
	if (options.db === 'postgres') {
		if (!databaseName) {
			databaseName = `lms_community_test_${process.pid}_${randomBytes(4).toString('hex')}`;
			const name = databaseName;
			await withPg((client) => client.query(`CREATE DATABASE "${name}"`));
		}
		Object.assign(dbEnv, {
			DB_CLIENT: 'pg',
			DB_HOST: PG_CONNECTION.host,
			DB_PORT: String(PG_CONNECTION.port),
			DB_DATABASE: databaseName,
			DB_USER: PG_CONNECTION.user,
			DB_PASSWORD: '',
		});
	} else {
		const file = shared ? readConfig(shared.configPath)['DB_FILENAME'] : path.join(dir, 'directus.db');
		Object.assign(dbEnv, { DB_CLIENT: 'sqlite3', DB_FILENAME: file ?? path.join(dir, 'directus.db') });
	}

	const env: Record<string, string> = {
		HOST: '127.0.0.1',
		PORT: String(port),
		PUBLIC_URL: url,
		SECRET: secret,
		ADMIN_EMAIL: admin.email,
		ADMIN_PASSWORD: admin.password,
		EXTENSIONS_PATH: path.join(ROOT, 'extensions'),
		EXTENSIONS_AUTO_RELOAD: 'false',
		COMMUNITY_SNAPSHOTS_PATH: path.join(ROOT, 'snapshots'),
		STORAGE_LOCATIONS: 'local',
		STORAGE_LOCAL_ROOT: path.join(dir, 'uploads'),
		TELEMETRY: 'false',
		LOG_LEVEL: 'warn',
		LOG_STYLE: 'raw',
		WEBSOCKETS_ENABLED: 'true',
		RATE_LIMITER_ENABLED: 'false',
		CACHE_ENABLED: 'false',
		CACHE_SCHEMA_FREEZE_ENABLED: 'true',
		MAX_BATCH_MUTATION: '100',
		// Two Directus processes and their load on two cores trip Directus's pressure limiter (503s) in tests.
		PRESSURE_LIMITER_ENABLED: 'false',
		...dbEnv,
		...options.env,
	};
	const configPath = path.join(dir, '.env');
	writeFileSync(
		configPath,
		Object.entries(env)
			.map(([k, v]) => `${k}=${v}`)
			.join('\n') + '\n',
	);
	const cli = (args: string[]) => runCli(configPath, args, ROOT);

	const cleanupDatabase = async () => {
		if (options.db === 'postgres' && databaseName && !shared) {
			const name = databaseName;
			await withPg((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch(() => undefined);
		}
		rmSync(dir, { recursive: true, force: true });
	};

	const logFile = path.join(dir, 'directus.log');
	let child: ChildProcess | null = null;
	let startedAt = 0;
	let startupMs = 0;
	try {
		if (!shared) {
			for (const args of [['bootstrap'], ['community', 'setup']]) {
				const result = await cli(args);
				if (result.code !== 0) throw new Error(`directus ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
			}
		}
		const log = createWriteStream(logFile);
		startedAt = performance.now();
		child = spawn(process.execPath, [DIRECTUS_CLI, 'start'], { cwd: ROOT, env: { ...process.env, CONFIG_PATH: configPath } });
		child.stdout?.pipe(log);
		child.stderr?.pipe(log);
		await waitForPing(url, child, logFile);
		startupMs = performance.now() - startedAt;
	} catch (error) {
		child?.kill('SIGKILL');
		await cleanupDatabase();
		throw error;
	}

	let running = child;
	// A process ended by a signal has no exit code, only a signal code.
	const hasExited = () => running.exitCode !== null || running.signalCode !== null;
	const terminate = async () => {
		if (hasExited()) return;
		const exited = new Promise((resolve) => running.once('exit', resolve));
		running.kill('SIGTERM');
		const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
		await exited;
		clearTimeout(timer);
	};
	return {
		url,
		port,
		db: options.db,
		configPath,
		admin,
		secret,
		databaseName,
		logFile,
		get pid() {
			return running.pid!;
		},
		startupMs,
		cli,
		alive: () => !hasExited(),
		async crash() {
			if (hasExited()) return;
			const exited = new Promise((resolve) => running.once('exit', resolve));
			running.kill('SIGKILL');
			await exited;
		},
		async restart() {
			await terminate();
			const log = createWriteStream(logFile, { flags: 'a' });
			const next = spawn(process.execPath, [DIRECTUS_CLI, 'start'], { cwd: ROOT, env: { ...process.env, CONFIG_PATH: configPath } });
			next.stdout?.pipe(log);
			next.stderr?.pipe(log);
			running = next;
			await waitForPing(url, next, logFile);
		},
		shutDown: terminate,
		async stop() {
			await terminate();
			await cleanupDatabase();
		},
	};
}

export function readConfig(configPath: string): Record<string, string> {
	return Object.fromEntries(
		readFileSync(configPath, 'utf8')
			.split('\n')
			.filter((line) => line.includes('='))
			.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
	);
}
