import type { Accountability } from '@directus/types';
import { SocketAuthError } from './auth.js';

/**
 * The admin app's way in: its Directus session cookie, which the browser sends with the socket's handshake.
 * A cookie goes with every request to the host, whichever page makes it, so it is accepted only from the admin
 * app's own origin (PUBLIC_URL's), exactly; another or a missing Origin with a cookie is refused (a page elsewhere
 * must not ride a moderator's session). Tokens in `auth.token` (the mobile app) are not affected.
 */

/** The value of cookie `name` in a Cookie header, or null. */
export function sessionCookie(header: string | undefined, name: string): string | null {
	for (const part of (header ?? '').split(';')) {
		const separator = part.indexOf('=');
		if (separator < 0 || part.slice(0, separator).trim() !== name) continue;
		const value = part.slice(separator + 1).trim();
		try {
			return value ? decodeURIComponent(value) : null;
		} catch {
			return null;
		}
	}
	return null;
}

/** Only the admin app's own origin may present a cookie; no known origin (PUBLIC_URL unset) accepts none. */
export function cookieOriginAllowed(origin: string | undefined, appOrigin: string | null): boolean {
	return appOrigin !== null && origin === appOrigin;
}

/** Directus's own check of a token (its `getAccountabilityForToken`): signature, expiry, session. */
export type DirectusTokenCheck = (token: string) => Promise<Pick<Accountability, 'user' | 'session'>>;

/**
 * Directus's verification, loaded at run time beside the Directus that runs the bundle (never bundled: its
 * database handle must be the host's). Null where it cannot be loaded: cookies are then refused, tokens work.
 */
export async function loadDirectusTokenCheck(): Promise<DirectusTokenCheck | null> {
	// A variable specifier: the bundler leaves it to Node, which resolves it from Directus's node_modules.
	const specifier = '@directus/api/utils/get-accountability-for-token';
	try {
		const module = (await import(specifier)) as { getAccountabilityForToken: DirectusTokenCheck };
		return (token) => module.getAccountabilityForToken(token);
	} catch {
		return null;
	}
}

/**
 * Checks a session cookie with Directus's own function and answers the session-mode token it holds. Directus's
 * errors become the socket's codes; anything else (the database away) is thrown as it is.
 */
export async function verifySessionCookie(token: string, check: DirectusTokenCheck | null): Promise<string> {
	// A session cookie holds a JWT; anything else is not one (and must not reach Directus's static-token lookup).
	if (!check || token.split('.').length !== 3) throw new SocketAuthError('TOKEN_INVALID');
	let accountability: Pick<Accountability, 'user' | 'session'>;
	try {
		accountability = await check(token);
	} catch (error) {
		const code = (error as { code?: unknown }).code;
		if (code === 'TOKEN_EXPIRED') throw new SocketAuthError('TOKEN_EXPIRED');
		if (code === 'INVALID_CREDENTIALS') throw new SocketAuthError('SESSION_ENDED');
		if (code === 'INVALID_TOKEN') throw new SocketAuthError('TOKEN_INVALID');
		throw error;
	}
	// A session cookie holds a session-mode token of a user; a static token or a share is no session.
	if (!accountability.user || !accountability.session) throw new SocketAuthError('TOKEN_INVALID');
	return token;
}
