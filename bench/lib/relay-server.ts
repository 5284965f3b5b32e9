import { createServer } from 'node:http';
import { Server } from 'socket.io';

/**
 * Baseline (a): a bare Socket.IO server of the same version that only relays: no auth, no checks, no storage.
 * Same path and events as the bundle's socket, so the same clients drive it. Run as its own process.
 */
const port = Number(process.argv[2] ?? 0);
const http = createServer();
const io = new Server(http, { path: '/community/socket.io', serveClient: false, transports: ['websocket'] });
let seq = 0;
io.on('connection', (socket) => {
	socket.on('group:join', ({ group }: { group: number }, ack: (reply: unknown) => void) => {
		void socket.join(`group:${group}`);
		ack({ ok: true, data: { group } });
	});
	socket.on('message:send', (input: { group: number; body: string; client_id: string }, ack: (reply: unknown) => void) => {
		const message = {
			id: ++seq,
			seq,
			group: input.group,
			body: input.body,
			client_id: input.client_id,
			date_created: new Date().toISOString(),
		};
		io.to(`group:${input.group}`).emit('message:new', message);
		ack({ ok: true, data: message });
	});
});
http.listen(port, '127.0.0.1', () => {
	const address = http.address();
	process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : port });
});
process.on('SIGTERM', () => io.close(() => process.exit(0)));
