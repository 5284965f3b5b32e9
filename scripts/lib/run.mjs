import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directus's CLI entry (its package exports no subpath for it), run with the Node that runs this script. */
export const DIRECTUS_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules/directus/cli.js');

/** Runs a command to completion with inherited output; rejects on a non-zero exit. */
export function run(command, args, options = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { stdio: 'inherit', ...options });
		child.on('error', reject);
		child.on('exit', (code, signal) => {
			if (code === 0) resolve();
			else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`));
		});
	});
}

export const runDirectus = (args, options) => run(process.execPath, [DIRECTUS_CLI, ...args], options);
