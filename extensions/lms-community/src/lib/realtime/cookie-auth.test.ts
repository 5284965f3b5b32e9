import { describe, expect, it } from 'vitest';
import { SocketAuthError } from './auth.js';
import { cookieOriginAllowed, sessionCookie, verifySessionCookie, type DirectusTokenCheck } from './cookie-auth.js';

const JWT = 'aaa.bbb.ccc';
const failing =
	(code: string): DirectusTokenCheck =>
	async () =>
		Promise.reject(Object.assign(new Error(code), { code }));
const refusal = (promise: Promise<unknown>) =>
	promise.then(
		() => 'accepted',
		(error: unknown) => (error instanceof SocketAuthError ? error.code : 'thrown as is'),
	);

describe('the session cookie', () => {
	it('is read by name from a Cookie header', () => {
		expect(sessionCookie('a=1; directus_session_token=abc%3D; b=2', 'directus_session_token')).toBe('abc=');
		expect(sessionCookie('xdirectus_session_token=abc', 'directus_session_token')).toBeNull();
		expect(sessionCookie('directus_session_token=', 'directus_session_token')).toBeNull();
		expect(sessionCookie('directus_session_token=%E0%A4%A', 'directus_session_token')).toBeNull();
		expect(sessionCookie(undefined, 'directus_session_token')).toBeNull();
	});

	it('counts only from the admin app’s own origin, never without one', () => {
		expect(cookieOriginAllowed('https://lms.example.com', 'https://lms.example.com')).toBe(true);
		expect(cookieOriginAllowed('https://evil.example.com', 'https://lms.example.com')).toBe(false);
		expect(cookieOriginAllowed('https://lms.example.com:8443', 'https://lms.example.com')).toBe(false);
		expect(cookieOriginAllowed(undefined, 'https://lms.example.com')).toBe(false);
		expect(cookieOriginAllowed('https://lms.example.com', null)).toBe(false);
	});

	it("is verified by Directus's own check, whose errors become the socket's codes", async () => {
		const session: DirectusTokenCheck = async () => ({ user: 'u1', session: 's1' });
		expect(await verifySessionCookie(JWT, session)).toBe(JWT);
		expect(await refusal(verifySessionCookie('static-token', session))).toBe('TOKEN_INVALID');
		expect(await refusal(verifySessionCookie(JWT, null))).toBe('TOKEN_INVALID');
		expect(await refusal(verifySessionCookie(JWT, async () => ({ user: 'u1' })))).toBe('TOKEN_INVALID');
		expect(await refusal(verifySessionCookie(JWT, async () => ({ user: null, session: 's1' })))).toBe('TOKEN_INVALID');
		expect(await refusal(verifySessionCookie(JWT, failing('TOKEN_EXPIRED')))).toBe('TOKEN_EXPIRED');
		expect(await refusal(verifySessionCookie(JWT, failing('INVALID_CREDENTIALS')))).toBe('SESSION_ENDED');
		expect(await refusal(verifySessionCookie(JWT, failing('INVALID_TOKEN')))).toBe('TOKEN_INVALID');
		// The database away is no verdict on the cookie: it reaches the outage handling as it is.
		expect(await refusal(verifySessionCookie(JWT, failing('ECONNREFUSED')))).toBe('thrown as is');
	});
});
