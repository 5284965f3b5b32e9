// A minimal mobile-style client: log in with the Directus SDK, open the community socket, join a group,
// catch up from a cursor, send idempotently, and keep the token fresh. tests/integration/realtime-client.test.ts
// runs this very file against a real server.
import { authentication, createDirectus, rest } from '@directus/sdk';
import { io, type Socket } from 'socket.io-client';

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string; retry_after?: number } };

/** A refused event, with the server's code and, for retryable ones, how many seconds to wait. */
export class AckError extends Error {
	constructor(
		readonly code: string,
		message: string,
		readonly retryAfter?: number,
	) {
		super(message);
	}
}

export interface ChatMessage {
	id: number;
	group: number;
	sender: string;
	body: string;
	seq: number;
	client_id: string | null;
}

export interface ChatClient {
	socket: Socket;
	/** Every message of the group, in seq order, without duplicates. */
	messages: Map<number, ChatMessage>;
	send(body: string): Promise<ChatMessage>;
	catchUp(): Promise<void>;
	close(): Promise<void>;
}

export async function openChat(url: string, email: string, password: string, group: number): Promise<ChatClient> {
	const directus = createDirectus(url).with(authentication('json')).with(rest());
	await directus.login({ email, password });
	const token = await directus.getToken();

	const socket = io(url, { path: '/community/socket.io', transports: ['websocket'], auth: { token } });
	const request = async <T>(event: string, payload: unknown): Promise<T> => {
		const ack: Ack<T> = await socket.timeout(5_000).emitWithAck(event, payload);
		if (!ack.ok) throw new AckError(ack.error.code, `${event}: ${ack.error.code} ${ack.error.message}`, ack.error.retry_after);
		return ack.data;
	};

	const messages = new Map<number, ChatMessage>();
	// The highest seq up to which this client holds every message. A live message can overtake one that was lost
	// with an instance: moving the cursor to the highest seq seen would skip the lost one for good.
	let cursor = 0;
	const advance = () => {
		while (messages.has(cursor + 1)) cursor++;
	};
	const keep = (message: ChatMessage) => {
		messages.set(message.seq, message);
		advance();
	};

	const catchUp = async () => {
		for (;;) {
			const page = await request<{ messages: ChatMessage[]; has_more: boolean; cursor: number }>('message:sync', {
				group,
				after: cursor,
				limit: 100,
			});
			for (const message of page.messages) messages.set(message.seq, message);
			// A sync page holds every stored message after the cursor (retention may have removed older ones).
			cursor = Math.max(cursor, page.cursor);
			advance();
			if (!page.has_more) return;
		}
	};

	socket.on('message:new', keep);
	// On every (re)connect: join again, then fetch what was sent meanwhile. Nothing is lost, nothing doubles.
	socket.on('connect', () => {
		request('group:join', { group }).then(catchUp, (error) => console.error(error));
	});
	// Access tokens are short-lived: refresh over REST, hand the new one to the socket without reconnecting.
	const refresher = setInterval(async () => {
		await directus.refresh();
		await request('auth:refresh', { token: await directus.getToken() });
	}, 60_000);

	await new Promise<void>((resolve, reject) => {
		socket.once('connect', () => resolve());
		socket.once('connect_error', reject);
	});
	await request('group:join', { group });
	await catchUp();

	let sent = 0;
	return {
		socket,
		messages,
		catchUp,
		// The client_id makes a retry safe: the server answers with the first message and stores no second one.
		send: async (body) => {
			const payload = { group, body, client_id: `${socket.id}-${++sent}` };
			for (let attempt = 1; ; attempt++) {
				try {
					const message = await request<ChatMessage>('message:send', payload);
					keep(message);
					return message;
				} catch (error) {
					// The database is away for a moment: wait as told, then send the very same payload again.
					if (!(error instanceof AckError) || error.code !== 'SERVICE_UNAVAILABLE' || attempt === 5) throw error;
					await new Promise((resolve) => setTimeout(resolve, (error.retryAfter ?? 1) * 1000));
				}
			}
		},
		close: async () => {
			clearInterval(refresher);
			socket.close();
		},
	};
}
