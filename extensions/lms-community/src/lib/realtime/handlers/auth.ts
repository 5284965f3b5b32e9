import type { Knex } from 'knex';
import { serviceUnavailable, unavailableService } from '../../errors/unavailable.js';
import type { ErrorLogger } from '../ack.js';
import { SocketAuthError, verifySocketToken } from '../auth.js';
import { cookieOriginAllowed, sessionCookie, verifySessionCookie, type DirectusTokenCheck } from '../cookie-auth.js';
import { AuthRefresh } from '../events.js';
import type { CommunityIo, CommunitySocket } from '../types.js';
import type { Handlers } from './handler.js';
import { followAdminAccess } from './moderation.js';

export interface AuthDeps {
	secret: string;
	knex: Knex;
	logger: ErrorLogger;
}

/** A connection's Origin and Cookie headers, as its first request had them. */
export interface BrowserHeaders {
	origin?: string;
	cookie?: string;
}

/** The admin app's session cookie (cookie-auth.ts): its name, the one origin it may come from, Directus's check. */
export interface CookieAuthDeps {
	cookieName: string;
	appOrigin: string | null;
	check: DirectusTokenCheck | null;
	/** The socket's browser headers; Socket.IO's handshake no longer has them (server.ts lets the request go). */
	headersOf(socket: CommunitySocket): BrowserHeaders;
}

/** The address the per-IP cap counts, taken from the first request before Socket.IO lets go of it. */
export type AddressOf = (socket: CommunitySocket) => string;

/**
 * The token a connection presents: `auth.token` when it sends one (apps); else the admin app's session cookie,
 * only from the admin app's own origin and first checked by Directus itself.
 */
async function presentedToken(socket: CommunitySocket, cookies: CookieAuthDeps): Promise<unknown> {
	const token = socket.handshake.auth?.['token'];
	const headers = cookies.headersOf(socket);
	if (token !== undefined) return token;
	const cookie = sessionCookie(headers.cookie, cookies.cookieName);
	if (cookie === null) return undefined;
	if (!cookieOriginAllowed(headers.origin, cookies.appOrigin)) throw new SocketAuthError('ORIGIN_NOT_ALLOWED');
	return verifySessionCookie(cookie, cookies.check);
}

/**
 * Every connection presents a Directus access token in `auth.token`, or (the admin app) its session cookie:
 * verified before the connection is accepted (auth.ts), refused with a code in `connect_error.data`. An outage
 * of the database is no verdict on the token: the client retries with the same one (SERVICE_UNAVAILABLE and
 * `retry_after`).
 */
export function authenticateConnections(io: CommunityIo, deps: AuthDeps, cookies: CookieAuthDeps, addressOf: AddressOf): void {
	io.use((socket, next) => {
		const address = addressOf(socket);
		presentedToken(socket, cookies)
			.then((token) => verifySocketToken(token, deps.secret, deps.knex, address))
			.then(
				(identity) => {
					socket.data.identity = identity;
					socket.data.address = address;
					socket.data.issued = socket.handshake.issued;
					socket.data.groups = new Set();
					next();
				},
				(error) => {
					const service = unavailableService(error);
					if (service) {
						const { message, code, extensions } = serviceUnavailable(service);
						return next(Object.assign(new Error(message), { data: { code, retry_after: extensions.retry_after } }));
					}
					const failure = error instanceof SocketAuthError ? error : new SocketAuthError('TOKEN_INVALID');
					if (!(error instanceof SocketAuthError)) deps.logger.error(error, 'community socket: auth');
					next(Object.assign(new Error(failure.message), { data: { code: failure.code } }));
				},
			);
	});
}

/** A socket ends when its token expires (`auth:expired`), unless `auth:refresh` brought a newer token first. */
export class TokenExpiry {
	private readonly timers = new WeakMap<CommunitySocket, NodeJS.Timeout>();

	schedule(socket: CommunitySocket): void {
		clearTimeout(this.timers.get(socket));
		const delay = Math.max(0, socket.data.identity.expiresAt - Date.now());
		// setTimeout caps at ~24.8 days; longer tokens get re-checked when the timer fires.
		const timer = setTimeout(
			() => {
				if (socket.data.identity.expiresAt > Date.now()) return this.schedule(socket);
				socket.emit('auth:expired', { code: 'TOKEN_EXPIRED' });
				socket.disconnect(true);
			},
			Math.min(delay, 2_147_000_000),
		);
		// An idle timer must not keep the process alive on shutdown.
		timer.unref();
		this.timers.set(socket, timer);
	}

	cancel(socket: CommunitySocket): void {
		clearTimeout(this.timers.get(socket));
		this.timers.delete(socket);
	}
}

export function authHandlers(deps: AuthDeps, expiry: TokenExpiry): Pick<Handlers, 'auth:refresh'> {
	return {
		async 'auth:refresh'(socket, payload) {
			const { token } = AuthRefresh.parse(payload);
			const identity = await verifySocketToken(token, deps.secret, deps.knex, socket.data.address);
			if (identity.userId !== socket.data.identity.userId) throw new SocketAuthError('TOKEN_INVALID');
			socket.data.identity = identity;
			expiry.schedule(socket);
			await followAdminAccess(socket);
			return { expires_at: new Date(identity.expiresAt).toISOString() };
		},
	};
}
