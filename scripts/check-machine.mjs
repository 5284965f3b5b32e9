// `npm test` runs this first (pretest): it finds what the suite needs from the machine and, if anything is
// missing, says all of it in one message and exits 1 instead of failing deep inside a test.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { BROWSER_CANDIDATES, formatMissing, missingPieces } from './lib/machine-check.mjs';

if (process.env.SKIP_MACHINE_CHECK === '1') process.exit(0);

const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** The connection the tests use (tests/support/directus-instance.ts: PG_CONNECTION). */
async function probePostgres() {
	const connection = {
		host: '127.0.0.1',
		port: 5432,
		user: process.env.PGUSER ?? 'postgres',
		database: 'postgres',
		connectionTimeoutMillis: 3_000,
	};
	const target = `${connection.user}@${connection.host}:${connection.port}`;
	const client = new pg.Client(connection);
	try {
		await client.connect();
		await client.query('select 1');
		return { ok: true, target };
	} catch (error) {
		return { ok: false, target, error: error instanceof Error ? error.message || error.code : String(error) };
	} finally {
		await client.end().catch(() => undefined);
	}
}

const configured = process.env.CHROMIUM_PATH ?? null;
const missing = missingPieces({
	redisServer: onPath('redis-server'),
	haproxy: onPath('haproxy'),
	browsers: {
		configured,
		configuredExists: configured !== null && existsSync(configured),
		found: BROWSER_CANDIDATES.filter((candidate) => existsSync(candidate)),
		// What tests/support/browser.ts unpacks when there is no Debian Chromium.
		packaged: existsSync(new URL('../node_modules/@sparticuz/chromium/bin/chromium.br', import.meta.url)),
	},
	postgres: await probePostgres(),
});
if (missing.length > 0) {
	console.error(formatMissing(missing));
	process.exit(1);
}
