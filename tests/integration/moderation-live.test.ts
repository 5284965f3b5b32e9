import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { io } from 'socket.io-client';
import { directusUrl, type TestUser } from '../support/api.js';
import { communityFixture } from '../support/community.js';
import { call, connectAs, nextEvent, record, SOCKET_PATH } from '../support/socket.js';

const open: Socket[] = [];
afterEach(() => {
	for (const socket of open.splice(0)) socket.close();
});

/** Logs in the way the admin app does (session mode) and answers its session cookie, `name=value`. */
async function sessionCookie(user: TestUser): Promise<string> {
	const response = await fetch(`${directusUrl()}/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email: user.email, password: user.password, mode: 'session' }),
	});
	expect(response.status).toBe(200);
	const cookie = response.headers.getSetCookie().find((header) => header.startsWith('directus_session_token='));
	expect(cookie).toBeTruthy();
	return cookie!.split(';')[0]!;
}

/** A socket that authenticates with a cookie only (no auth.token), as the admin app's page does. */
function connectWithCookie(cookie: string, origin?: string): Promise<Socket> {
	const headers: Record<string, string> = { cookie };
	if (origin) headers['origin'] = origin;
	const socket = io(directusUrl(), {
		path: SOCKET_PATH,
		transports: ['websocket'],
		reconnection: false,
		forceNew: true,
		extraHeaders: headers,
	});
	open.push(socket);
	return new Promise((resolve, reject) => {
		socket.once('connect', () => resolve(socket));
		socket.once('connect_error', (error: Error & { data?: { code?: string } }) => {
			socket.close();
			reject(error);
		});
	});
}

const refusal = (promise: Promise<unknown>) =>
	promise.then(
		() => 'connected',
		(error: { data?: { code?: string } }) => error.data?.code ?? 'refused',
	);

describe('live moderation queue', () => {
	it('accepts the admin app’s session cookie only from the admin app’s own origin', async () => {
		const { instructor } = await communityFixture({ students: 0 });
		const cookie = await sessionCookie(instructor);
		const appOrigin = new URL(directusUrl()).origin;
		// app.example.com may use tokens (COMMUNITY_SOCKET_ORIGINS), never a cookie.
		expect(await refusal(connectWithCookie(cookie, 'http://app.example.com'))).toBe('ORIGIN_NOT_ALLOWED');
		expect(await refusal(connectWithCookie(cookie))).toBe('ORIGIN_NOT_ALLOWED');
		expect(await refusal(connectWithCookie(cookie, 'http://evil.example.com'))).not.toBe('connected');
		expect(await refusal(connectWithCookie('directus_session_token=not-a-jwt', appOrigin))).toBe('TOKEN_INVALID');
		const socket = await connectWithCookie(cookie, appOrigin);
		expect(socket.connected).toBe(true);

		// Logging out ends the session: the cookie no longer opens a socket.
		const logout = await fetch(`${directusUrl()}/auth/logout`, {
			method: 'POST',
			headers: { cookie, 'content-type': 'application/json' },
			body: JSON.stringify({ mode: 'session' }),
		});
		expect(logout.status).toBeLessThan(300);
		expect(await refusal(connectWithCookie(cookie, appOrigin))).toBe('SESSION_ENDED');
	});

	it('tells a group’s moderators of queue changes live, and nobody else', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2, group: { require_post_approval: true } });
		const [alice, bob] = students as [TestUser, TestUser];
		const elsewhere = await communityFixture({ students: 2 });
		const appOrigin = new URL(directusUrl()).origin;

		const moderator = await connectWithCookie(await sessionCookie(instructor), appOrigin);
		expect(await call(moderator, 'moderation:subscribe')).toEqual({ ok: true, data: { groups: [group.id] } });
		const heard = record(moderator, 'moderation:queue');
		const otherModerator = await connectWithCookie(await sessionCookie(elsewhere.instructor), appOrigin);
		expect((await call(otherModerator, 'moderation:subscribe')).data).toEqual({ groups: [elsewhere.group.id] });

		// A student may connect from the admin app's origin, but moderates nothing: refused, and hears nothing.
		const student = await connectWithCookie(await sessionCookie(alice), appOrigin);
		const refused = await call(student, 'moderation:subscribe');
		expect([refused.ok, refused.error.code]).toEqual([false, 'NOT_MODERATOR']);
		const studentHeard = record(student, 'moderation:queue');
		await call(student, 'group:join', { group: group.id });
		const mobile = await connectAs(bob);
		open.push(mobile);
		expect((await call(mobile, 'moderation:subscribe', { group: group.id })).error.code).toBe('FIELD_NOT_ALLOWED');

		// A post waiting for approval, then approved.
		let next = nextEvent(moderator, 'moderation:queue');
		const post = await alice.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Q', body: 'please approve' });
		expect(post.status).toBe('pending');
		expect(await next).toEqual({ group: group.id, item: 'post', id: Number(post.id), status: 'pending' });
		next = nextEvent(moderator, 'moderation:queue');
		await instructor.api.ok('POST', `/community/posts/${post.id}/approve`, {});
		expect(await next).toEqual({ group: group.id, item: 'post', id: Number(post.id), status: 'published' });

		// Another group's report reaches its moderator, not this one (the next change here is the barrier).
		const foreignPost = await elsewhere.students[0]!.api.ok('POST', '/items/community_posts', {
			group: elsewhere.group.id,
			title: 'T',
			body: 'b',
		});
		const foreignHeard = nextEvent(otherModerator, 'moderation:queue');
		await elsewhere.students[1]!.api.ok('POST', '/community/reports', { post: foreignPost.id, reason: 'spam' });
		expect(await foreignHeard).toMatchObject({ group: elsewhere.group.id, item: 'report', status: 'open' });

		// A report on a chat message, over the socket; then resolved.
		const message = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'buy my stuff' });
		next = nextEvent(moderator, 'moderation:queue');
		const report = await call(mobile, 'message:report', { message: Number(message.id), reason: 'spam' });
		expect(report.ok).toBe(true);
		expect(await next).toEqual({ group: group.id, item: 'report', id: report.data.id, status: 'open' });
		const resolvedHeard = new Promise<unknown[]>((resolve) => {
			const seen: unknown[] = [];
			moderator.on('moderation:queue', (change) => {
				seen.push(change);
				if ((change as { item: string }).item === 'report') resolve(seen);
			});
		});
		await instructor.api.ok('POST', `/community/reports/${report.data.id}/resolve`, { action: 'delete' });
		expect(await resolvedHeard).toContainEqual({ group: group.id, item: 'report', id: report.data.id, status: 'resolved' });

		// Barrier for the student: a chat message in the group comes after every change above.
		const sentinel = nextEvent(student, 'message:new');
		await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: 'sentinel' });
		await sentinel;
		expect(studentHeard).toEqual([]);
		expect(heard.every((change) => change.group === group.id)).toBe(true);
	});
});
