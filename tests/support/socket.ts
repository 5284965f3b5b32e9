import jwt from 'jsonwebtoken';
import { io, type Socket } from 'socket.io-client';
import { inject } from 'vitest';
import { login, type TestUser } from './api.js';

export const SOCKET_PATH = '/community/socket.io';

export interface ConnectOptions {
	url?: string;
	token?: unknown;
	origin?: string;
}

/** A real socket.io-client connection; resolves once connected, rejects with the connect_error. */
export function connect(options: ConnectOptions): Promise<Socket> {
	const socket = io(options.url ?? inject('directus').url, {
		path: SOCKET_PATH,
		transports: ['websocket'],
		auth: options.token === undefined ? {} : { token: options.token },
		reconnection: false,
		extraHeaders: options.origin ? { origin: options.origin } : undefined,
		forceNew: true,
	});
	return new Promise((resolve, reject) => {
		socket.once('connect', () => resolve(socket));
		socket.once('connect_error', (error: Error & { data?: { code?: string } }) => {
			socket.close();
			reject(error);
		});
	});
}

export async function connectAs(user: TestUser, url?: string): Promise<Socket> {
	return connect({ url, token: await login(user.email, user.password) });
}

/** Emits and waits for the ack. */
export function call<T = any>(
	socket: Socket,
	event: string,
	payload?: unknown,
): Promise<{ ok: boolean; data: T; error: { code: string; message: string; retry_after?: number } }> {
	return socket.timeout(5_000).emitWithAck(event, payload);
}

/** Collects every `event` the socket receives, for later assertions. */
export function record<T = any>(socket: Socket, event: string): T[] {
	const seen: T[] = [];
	socket.on(event, (payload: T) => seen.push(payload));
	return seen;
}

export function nextEvent<T = any>(socket: Socket, event: string, timeoutMs = 5_000): Promise<T> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
		socket.once(event, (payload: T) => {
			clearTimeout(timer);
			resolve(payload);
		});
	});
}

/**
 * A Directus-shaped access token signed with the test instance's SECRET (for expiry and forgery cases). An `exp`
 * claim (epoch seconds) sets the very second it expires, for tokens that must end in a known order.
 */
export function signToken(claims: Record<string, unknown>, options: jwt.SignOptions & { secret?: string } = {}): string {
	const { secret = inject('directus').secret, ...signOptions } = options;
	return jwt.sign({ role: null, app_access: false, admin_access: false, ...claims }, secret, {
		issuer: 'directus',
		...(claims['exp'] === undefined ? { expiresIn: '15m' } : {}),
		...signOptions,
	});
}

/** Polls `received` until `test` holds, up to `withinMs`: true if it did (a probe that may be lost and resent). */
export async function arrives<T>(received: T[], test: (item: T) => boolean, withinMs: number): Promise<boolean> {
	const deadline = Date.now() + withinMs;
	while (!received.some(test)) {
		if (Date.now() > deadline) return false;
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
	return true;
}

export interface PresenceEntry {
	group: number;
	user: string;
	online: boolean;
}

/** `presence` events (coalesced: `{ group, online: [...], offline: [...] }`) as one entry per user and change. */
export function presenceEntries(events: Array<{ group: number; online: string[]; offline: string[] }>): PresenceEntry[] {
	return events.flatMap((event) => [
		...event.online.map((user) => ({ group: event.group, user, online: true })),
		...event.offline.map((user) => ({ group: event.group, user, online: false })),
	]);
}
