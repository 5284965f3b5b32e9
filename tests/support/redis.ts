import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { eventually } from './api.js';

/**
 * A Redis server of the test's own on `port` (nothing saved, so a restart comes back empty, as in production often).
 * `args` adds options, e.g. `['--replicaof', '127.0.0.1', '6380']` for a replica.
 */
export async function startRedis(port: number, args: string[] = []): Promise<ChildProcess> {
	const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], {
		stdio: 'ignore',
	});
	await eventually(async () => {
		const client = createClient({ url: `redis://127.0.0.1:${port}` });
		client.on('error', () => undefined);
		const ok = await client.connect().then(
			() => true,
			() => false,
		);
		if (ok) await client.quit();
		return ok;
	}, 10_000);
	return server;
}

/** Kills the server without a goodbye, as a crash or a container restart would. */
export async function stopRedis(server: ChildProcess): Promise<void> {
	if (server.exitCode !== null || server.signalCode !== null) return;
	const exited = new Promise((resolve) => server.once('exit', resolve));
	server.kill('SIGKILL');
	await exited;
}

/**
 * A Redis Sentinel on `port` watching the master `name` at 127.0.0.1:`masterPort` alone (quorum 1), with short
 * timeouts; resolves once it names the master. Sentinel rewrites its config file, so it gets one of its own.
 */
export async function startSentinel(port: number, name: string, masterPort: number): Promise<ChildProcess> {
	const config = path.join(mkdtempSync(path.join(tmpdir(), 'lms-community-sentinel-')), 'sentinel.conf');
	writeFileSync(
		config,
		[
			`port ${port}`,
			'bind 127.0.0.1',
			`sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
			`sentinel down-after-milliseconds ${name} 1000`,
			`sentinel failover-timeout ${name} 5000`,
			'',
		].join('\n'),
	);
	const sentinel = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
	try {
		await eventually(async () => (await sentinelMaster(port, name).catch(() => null)) === masterPort, 10_000, 'the sentinel up');
	} catch (error) {
		await stopRedis(sentinel);
		throw error;
	}
	return sentinel;
}

/** The port of the master the sentinel on `port` names for `name` now. */
export async function sentinelMaster(port: number, name: string): Promise<number | null> {
	const client = createClient({ url: `redis://127.0.0.1:${port}`, disableClientInfo: true });
	client.on('error', () => undefined);
	await client.connect();
	try {
		const reply = (await client.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name])) as [string, string] | null;
		return reply ? Number(reply[1]) : null;
	} finally {
		// A sentinel knows no QUIT.
		await client.disconnect();
	}
}
