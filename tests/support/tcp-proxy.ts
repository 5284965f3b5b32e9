import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
	port: number;
	/** Resets every open connection and every new one, as a database host that dropped off the network would. */
	cut(): void;
	/** Lets connections through again. */
	restore(): void;
	close(): Promise<void>;
}

/**
 * A TCP relay on a free port in front of `target`: one instance reaches the shared PostgreSQL through it, so the
 * test can take that instance's database away without touching anyone else's connections.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
	let open = true;
	const live = new Set<Socket>();
	const server = createServer((client) => {
		if (!open) return void client.resetAndDestroy();
		const upstream = connect(target.port, target.host);
		const end = () => {
			for (const socket of [client, upstream]) {
				socket.destroy();
				live.delete(socket);
			}
		};
		for (const socket of [client, upstream]) {
			live.add(socket);
			socket.on('error', end);
			socket.on('close', end);
		}
		client.pipe(upstream);
		upstream.pipe(client);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	const address = server.address();
	if (typeof address !== 'object' || !address) throw new Error('the proxy has no port');
	return {
		port: address.port,
		cut() {
			open = false;
			for (const socket of live) socket.resetAndDestroy();
			live.clear();
		},
		restore() {
			open = true;
		},
		close() {
			for (const socket of live) socket.destroy();
			return new Promise((resolve) => server.close(() => resolve()));
		},
	};
}
