// `npm start`: from a fresh clone to a running Directus with the community bundle, idempotently.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleIsCurrent } from './lib/bundle-build.mjs';
import { ensureEnvFile, parseEnvFile } from './lib/env-file.mjs';
import { DIRECTUS_CLI, run, runDirectus } from './lib/run.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundleDir = path.join(root, 'extensions', 'lms-community');
const envPath = process.env.CONFIG_PATH ? path.resolve(process.env.CONFIG_PATH) : path.join(root, '.env');
process.chdir(root);

const generated = ensureEnvFile(envPath, path.join(root, '.env.example'));
const env = parseEnvFile(readFileSync(envPath, 'utf8'));
if (generated.ADMIN_PASSWORD) {
	console.log(`\nCreated ${path.relative(root, envPath)} with a new SECRET.`);
	console.log(`Admin login (shown once): ${env.ADMIN_EMAIL} / ${generated.ADMIN_PASSWORD}\n`);
}
if ((env.DB_CLIENT ?? 'sqlite3') === 'sqlite3' && env.DB_FILENAME)
	mkdirSync(path.dirname(path.resolve(root, env.DB_FILENAME)), { recursive: true });
if (env.STORAGE_LOCAL_ROOT) mkdirSync(path.resolve(root, env.STORAGE_LOCAL_ROOT), { recursive: true });

if (!bundleIsCurrent(bundleDir)) {
	console.log('Building the community bundle…');
	await run(process.execPath, [path.join(root, 'scripts', 'build.mjs')]);
}

const childEnv = { ...process.env, CONFIG_PATH: envPath };
await runDirectus(['bootstrap'], { env: childEnv });
await runDirectus(['community', 'setup'], { env: childEnv });

const server = spawn(process.execPath, [DIRECTUS_CLI, 'start'], { stdio: 'inherit', env: childEnv });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));

const url = env.PUBLIC_URL ?? `http://${env.HOST ?? '127.0.0.1'}:${env.PORT ?? '8055'}`;
for (let attempt = 0; attempt < 120; attempt++) {
	await new Promise((resolve) => setTimeout(resolve, 500));
	const ok = await fetch(`${url}/server/ping`).then(
		(r) => r.ok,
		() => false,
	);
	if (ok) {
		console.log(`\nLMS Community is running. Admin app: ${url}/admin  ·  health: ${url}/community/health\n`);
		break;
	}
}
