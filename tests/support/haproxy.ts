import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './directus-instance.js';

export const HAPROXY_CONFIG_PATH = path.join(ROOT, 'deploy', 'haproxy.cfg');

export const haproxyInstalled = (): boolean => spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;

/** HAProxy's time format (`500ms`, `10s`, `1h`; a bare number is milliseconds), in milliseconds. */
export function haproxyDuration(value: string): number {
	const match = /^(\d+)(us|ms|s|m|h|d)?$/.exec(value.trim());
	if (!match) throw new Error(`not an HAProxy duration: ${value}`);
	const factor = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms']!;
	return Number(match[1]) * factor;
}

/**
 * deploy/haproxy.cfg for processes on this machine: the same file with only what names the compose network
 * changed: the `bind` line, Docker's `resolvers` section and the DNS `server-template` become a local port and
 * one `server` line per instance. Everything else (timeouts, checks, stickiness, upgrades) is what production runs.
 */
export function localHaproxyConfig(template: string, options: { port: number; servers: Array<{ name: string; port: number }> }): string {
	const lines = template.split('\n');
	const out: string[] = [];
	let inResolvers = false;
	const replaced = { bind: false, servers: false };
	for (const line of lines) {
		if (/^resolvers\s/.test(line)) {
			inResolvers = true;
			continue;
		}
		if (inResolvers) {
			if (/^\S/.test(line) || line.trim() === '') inResolvers = false;
			else continue;
		}
		if (/^\s*bind\s+:\d+\s*$/.test(line)) {
			out.push(line.replace(/bind\s+:\d+/, `bind 127.0.0.1:${options.port}`));
			replaced.bind = true;
		} else if (/^\s*server-template\s/.test(line)) {
			const indent = /^\s*/.exec(line)![0];
			for (const server of options.servers) out.push(`${indent}server ${server.name} 127.0.0.1:${server.port}`);
			replaced.servers = true;
		} else out.push(line);
	}
	if (!replaced.bind || !replaced.servers) throw new Error('deploy/haproxy.cfg: expected one `bind :PORT` and one `server-template` line');
	return out.join('\n');
}

export interface Haproxy {
	url: string;
	logFile: string;
	stop(): Promise<void>;
}

/** Checks a configuration with `haproxy -c`: the exit code and what it said. */
export function checkHaproxyConfig(configPath: string, env: Record<string, string> = {}): { ok: boolean; output: string } {
	const result = spawnSync('haproxy', ['-c', '-f', configPath], { env: { ...process.env, ...env }, encoding: 'utf8' });
	return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** Debian's haproxy on `port`, balancing the given local servers with deploy/haproxy.cfg's rules. */
export async function startHaproxy(options: { port: number; servers: Array<{ name: string; port: number }> }): Promise<Haproxy> {
	const dir = mkdtempSync(path.join(tmpdir(), 'lms-community-haproxy-'));
	const configPath = path.join(dir, 'haproxy.cfg');
	writeFileSync(configPath, localHaproxyConfig(readFileSync(HAPROXY_CONFIG_PATH, 'utf8'), options));
	const env = { HAPROXY_COOKIE_KEY: 'test-cookie-key' };
	const check = checkHaproxyConfig(configPath, env);
	if (!check.ok) throw new Error(`haproxy -c failed:\n${check.output}`);
	const logFile = path.join(dir, 'haproxy.log');
	const log = createWriteStream(logFile);
	const child: ChildProcess = spawn('haproxy', ['-f', configPath, '-db'], { env: { ...process.env, ...env } });
	child.stdout?.pipe(log);
	child.stderr?.pipe(log);
	const url = `http://127.0.0.1:${options.port}`;
	const deadline = Date.now() + 10_000;
	for (;;) {
		const up = await fetch(`${url}/server/ping`).then(
			(response) => response.status === 200,
			() => false,
		);
		if (up) break;
		if (child.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not start: ${readFileSync(logFile, 'utf8')}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return {
		url,
		logFile,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				const exited = new Promise((resolve) => child.once('exit', resolve));
				child.kill('SIGKILL');
				await exited;
			}
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
