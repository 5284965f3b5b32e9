import { io, type Socket } from 'socket.io-client';

/**
 * The three ways a chat client talks in the benchmark: the bundle's socket (`community`), a bare Socket.IO
 * relay with the same events (`relay`), and Directus's built-in WebSocket realtime (`directus-ws`: create the
 * item over /websocket, receive it through a subscription to the collection).
 */
export type Protocol = 'community' | 'relay' | 'directus-ws';

export interface SendResult {
	ok: boolean;
	error?: string;
}

export interface ChatClient {
	join(group: number): Promise<void>;
	send(group: number, body: string, clientId: string): Promise<SendResult>;
	onMessage(listener: (group: number, body: string) => void): void;
	close(): void;
}

const TIMEOUT_MS = 30_000;

function socketIoClient(url: string, token: string): Promise<ChatClient> {
	const socket: Socket = io(url, {
		path: '/community/socket.io',
		transports: ['websocket'],
		auth: { token },
		reconnection: false,
		timeout: TIMEOUT_MS,
	});
	return new Promise((resolve, reject) => {
		socket.once('connect_error', (error) => reject(error));
		socket.once('connect', () =>
			resolve({
				async join(group) {
					const ack = await socket.timeout(TIMEOUT_MS).emitWithAck('group:join', { group });
					if (!ack?.ok) throw new Error(`group:join ${group}: ${JSON.stringify(ack?.error)}`);
				},
				async send(group, body, clientId) {
					try {
						const ack = await socket.timeout(TIMEOUT_MS).emitWithAck('message:send', { group, body, client_id: clientId });
						return ack?.ok ? { ok: true } : { ok: false, error: ack?.error?.code ?? 'NO_ACK' };
					} catch {
						return { ok: false, error: 'ACK_TIMEOUT' };
					}
				},
				onMessage(listener) {
					socket.on('message:new', (message: { group: number; body: string }) => listener(Number(message.group), message.body));
				},
				close: () => socket.disconnect(),
			}),
		);
	});
}

function directusWebSocketClient(url: string, token: string): Promise<ChatClient> {
	const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/websocket`);
	const pending = new Map<string, (message: any) => void>();
	const listeners: Array<(group: number, body: string) => void> = [];
	let uid = 0;
	const request = (message: Record<string, unknown>): Promise<any> =>
		new Promise((resolve) => {
			const id = `r${++uid}`;
			const timer = setTimeout(() => {
				pending.delete(id);
				resolve({ status: 'error', error: { code: 'ACK_TIMEOUT' } });
			}, TIMEOUT_MS);
			pending.set(id, (reply) => {
				clearTimeout(timer);
				resolve(reply);
			});
			ws.send(JSON.stringify({ ...message, uid: id }));
		});

	return new Promise((resolve, reject) => {
		ws.addEventListener('error', () => reject(new Error('websocket error')));
		ws.addEventListener('message', (event) => {
			const message = JSON.parse(String(event.data));
			if (message.type === 'ping') return ws.send(JSON.stringify({ type: 'pong' }));
			if (message.type === 'auth') {
				if (message.status === 'ok') resolve(client);
				else reject(new Error(`auth: ${JSON.stringify(message.error)}`));
				return;
			}
			if (message.type === 'subscription' && message.event === 'create') {
				for (const item of message.data ?? []) for (const listener of listeners) listener(Number(item.group), item.body);
				return;
			}
			if (message.uid && pending.has(message.uid) && !(message.type === 'subscription' && message.event !== 'init')) {
				const settle = pending.get(message.uid)!;
				pending.delete(message.uid);
				settle(message);
			}
		});
		ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'auth', access_token: token })));
		const client: ChatClient = {
			async join(group) {
				const reply = await request({
					type: 'subscribe',
					collection: 'community_messages',
					event: 'create',
					query: { fields: ['id', 'group', 'body'], filter: { group: { _eq: group } } },
				});
				if (reply.status === 'error') throw new Error(`subscribe ${group}: ${JSON.stringify(reply.error)}`);
			},
			async send(group, body, clientId) {
				const reply = await request({
					type: 'items',
					collection: 'community_messages',
					action: 'create',
					data: { group, body, client_id: clientId },
				});
				return reply.status === 'error' ? { ok: false, error: reply.error?.code ?? 'ERROR' } : { ok: true };
			},
			onMessage: (listener) => void listeners.push(listener),
			close: () => ws.close(),
		};
	});
}

export function connectClient(protocol: Protocol, url: string, token: string): Promise<ChatClient> {
	return protocol === 'directus-ws' ? directusWebSocketClient(url, token) : socketIoClient(url, token);
}

/** Runs `work` over `items` with at most `limit` at a time. */
export async function inBatches<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(items.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(limit, items.length) }, async () => {
			while (next < items.length) {
				const index = next++;
				results[index] = await work(items[index]!, index);
			}
		}),
	);
	return results;
}
