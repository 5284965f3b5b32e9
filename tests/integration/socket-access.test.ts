import { afterEach, describe, expect, it } from 'vitest';
import { Api, asAdmin, createUser, directusUrl, login } from '../support/api.js';
import { communityFixture } from '../support/community.js';
import { call, connect, connectAs, nextEvent, signToken } from '../support/socket.js';
import type { Socket } from 'socket.io-client';

const sockets: Socket[] = [];
const track = (socket: Socket) => (sockets.push(socket), socket);
afterEach(() => {
	for (const socket of sockets.splice(0)) socket.close();
});

/** Logs in in Directus's session mode, as the admin app does. */
async function sessionLogin(email: string, password: string) {
	const response = await fetch(`${directusUrl()}/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email, password, mode: 'session' }),
	});
	const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0]!);
	// In session mode the session cookie is itself the access token (a JWT with a `session` claim).
	const token = cookies.find((c) => c.startsWith('directus_session_token='))!.split('=')[1]!;
	return { token, cookie: cookies.join('; ') };
}

describe('socket access ends when it should', () => {
	it('a logout ends the sockets of that session with auth:revoked SESSION_ENDED, and the token cannot reconnect', async () => {
		const { students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const session = await sessionLogin(alice.email, alice.password);
		const socket = track(await connect({ token: session.token }));
		const other = track(await connectAs(alice));
		const revoked = nextEvent(socket, 'auth:revoked', 5_000);
		const disconnected = nextEvent(socket, 'disconnect', 5_000);
		const logout = await fetch(`${directusUrl()}/auth/logout`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', cookie: session.cookie },
			body: JSON.stringify({ mode: 'session' }),
		});
		expect(logout.status).toBe(204);
		expect(await revoked).toMatchObject({ code: 'SESSION_ENDED' });
		await disconnected;
		const again = await connect({ token: session.token }).then(
			() => 'connected',
			(error: { data?: { code?: string } }) => error.data?.code,
		);
		expect(again).toBe('SESSION_ENDED');
		// A JSON-mode login of the same person is another session: it stays.
		expect((await call(other, 'presence:get', { group: 0 })).error.code).not.toBe('SESSION_ENDED');
		expect(other.connected).toBe(true);
	});

	it('suspending a user ends their sockets at once with auth:revoked USER_INACTIVE', async () => {
		const user = await createUser('Student', 'suspended');
		const socket = track(await connectAs(user));
		const revoked = nextEvent(socket, 'auth:revoked', 3_000);
		await (await asAdmin()).ok('PATCH', `/users/${user.id}`, { status: 'suspended' });
		expect(await revoked).toMatchObject({ code: 'USER_INACTIVE' });
	});

	it('admin access comes from the database, not from the token claims', async () => {
		const { group } = await communityFixture({ students: 1 });
		const outsider = await createUser('Student', 'outsider');
		const claimsAdmin = track(await connect({ token: signToken({ id: outsider.id, admin_access: true, app_access: true }) }));
		const sync = await call(claimsAdmin, 'message:sync', { group: group.id });
		expect([sync.ok, sync.error?.code]).toEqual([false, 'FORBIDDEN']);
	});

	it('route-confined (OAuth) tokens are refused', async () => {
		const user = await createUser('Student', 'oauth');
		const refused = await connect({ token: signToken({ id: user.id, aud: 'mcp', scope: 'mcp:access' }) }).then(
			() => 'connected',
			(error: { data?: { code?: string } }) => error.data?.code,
		);
		expect(refused).toBe('TOKEN_INVALID');
		expect(new Api(directusUrl(), await login(user.email, user.password)).token).toBeTruthy();
	});
});
