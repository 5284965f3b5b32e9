import { spawn, type ChildProcess } from 'node:child_process';
import { createClient } from 'redis';
import { eventually } from './api.js';

/** A Redis server of the test's own on `port` (nothing saved, so a restart comes back empty, as in production often). */
export async function startRedis(port: number): Promise<ChildProcess> {
	const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
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
