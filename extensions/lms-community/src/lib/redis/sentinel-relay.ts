import { connect, createServer, type Server, type Socket } from 'node:net';
import { createClient, type RedisClientOptions } from 'redis';
import type { HostPort, RedisTarget, SentinelTarget } from './target.js';

interface Logger {
	warn(error: unknown, message?: string): void;
	info(message: string): void;
}

/** Asks the sentinels in turn where the master of `target.name` is now (`SENTINEL GET-MASTER-ADDR-BY-NAME`). */
export async function masterAddress(target: SentinelTarget): Promise<HostPort> {
	const failures: string[] = [];
	for (const sentinel of target.sentinels) {
		const client = createClient({
			socket: { ...sentinel, connectTimeout: 2_000, reconnectStrategy: false },
			username: target.sentinelUsername,
			password: target.sentinelPassword,
			// A sentinel knows no CLIENT SETINFO.
			disableClientInfo: true,
		});
		client.on('error', () => undefined);
		try {
			await client.connect();
			const reply = (await client.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', target.name])) as [string, string] | null;
			if (reply) return { host: reply[0], port: Number(reply[1]) };
			failures.push(`${sentinel.host}:${sentinel.port} knows no master "${target.name}"`);
		} catch (error) {
			failures.push(`${sentinel.host}:${sentinel.port}: ${error instanceof Error ? error.message : String(error)}`);
		} finally {
			// A sentinel knows no QUIT.
			await client.disconnect().catch(() => undefined);
		}
	}
	throw new Error(`no sentinel named the master: ${failures.join('; ')}`);
}

/**
 * node-redis 4 has no Sentinel client, and its clients keep one address for life. So each connection of the
 * bundle goes to a relay on 127.0.0.1 that asks the sentinels for the master at that moment and pipes to it. At
 * a failover Sentinel kills the old master's client connections (or the old master is gone): the bundle's
 * clients reconnect, as after a Redis restart, and the relay takes them to the new master.
 */
export interface SentinelRelay {
	port: number;
	/** Stops taking new connections; the open ones end with their clients. */
	close(): Promise<void>;
}

export async function startSentinelRelay(target: SentinelTarget, logger: Logger): Promise<SentinelRelay> {
	let failing = false;
	const server: Server = createServer((local: Socket) => {
		local.pause();
		local.on('error', () => local.destroy());
		masterAddress(target).then(
			(master) => {
				if (failing) logger.info(`community redis: Sentinel names the master of "${target.name}" again (${master.host}:${master.port})`);
				failing = false;
				const remote = connect(master.port, master.host);
				const end = () => {
					local.destroy();
					remote.destroy();
				};
				for (const socket of [local, remote]) {
					socket.on('error', end);
					socket.on('close', end);
				}
				local.pipe(remote);
				remote.pipe(local);
			},
			(error: unknown) => {
				// node-redis retries the connection; one warning per outage.
				if (!failing) logger.warn(error, `community redis: cannot reach the master of "${target.name}"`);
				failing = true;
				local.destroy();
			},
		);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	const address = server.address();
	if (typeof address !== 'object' || !address) throw new Error('the Sentinel relay has no port');
	return { port: address.port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let relay: Promise<SentinelRelay> | null = null;

/**
 * node-redis options for `target`. Sentinel targets share one relay per process (the socket server, the
 * health check and the claims all connect through it).
 */
export async function redisClientOptions(target: RedisTarget, logger: Logger): Promise<RedisClientOptions> {
	if (target.kind === 'url') return { url: target.url };
	relay ??= startSentinelRelay(target, logger).catch((error: unknown) => {
		relay = null;
		throw error;
	});
	const { port } = await relay;
	return { socket: { host: '127.0.0.1', port }, username: target.username, password: target.password, database: target.db };
}

export async function closeSentinelRelay(): Promise<void> {
	const open = relay;
	relay = null;
	await (await open?.catch(() => null))?.close();
}
