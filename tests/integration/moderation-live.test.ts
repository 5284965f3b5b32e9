import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { io } from 'socket.io-client';
import { asAdmin, createUser, directusUrl, enroll, eventually, login, type TestUser } from '../support/api.js';
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

	it('an admin who is demoted stops hearing every group: at auth:refresh, and at the periodic re-check', async () => {
		const watched = await communityFixture({ students: 1, group: { require_post_approval: true } });
		const own = await communityFixture({ students: 1, group: { require_post_approval: true } });
		const admin = await asAdmin();
		const [adminPolicy] = await admin.ok<Array<{ id: string }>>('GET', '/policies?filter[admin_access][_eq]=true&fields=id&limit=1');
		const deputy = await createUser(null, 'deputy');
		const access = await admin.ok<{ id: number }>('POST', '/access', { user: deputy.id, policy: adminPolicy!.id });
		// Also an instructor of their own course: after the demotion they moderate that group only.
		await enroll(deputy, own.course, { role: 'instructor' });
		const refreshed = await connectAs(deputy);
		const idle = await connectAs(deputy);
		open.push(refreshed, idle);
		for (const socket of [refreshed, idle]) {
			const subscribed = await call(socket, 'moderation:subscribe');
			expect(subscribed.data.groups).toEqual(expect.arrayContaining([watched.group.id, own.group.id]));
		}
		const post = (fixture: typeof own, title: string) =>
			fixture.students[0]!.api.ok('POST', '/items/community_posts', { group: fixture.group.id, title, body: 'b' });
		// As an admin, the watched group's queue reaches both sockets.
		const first = [nextEvent(refreshed, 'moderation:queue'), nextEvent(idle, 'moderation:queue')];
		await post(watched, 'while admin');
		for (const heard of await Promise.all(first)) expect(heard).toMatchObject({ group: watched.group.id });

		await admin.ok('DELETE', `/access/${access.id}`);
		expect((await call(refreshed, 'auth:refresh', { token: await login(deputy.email, deputy.password) })).ok).toBe(true);
		// The watched group's change must not come; their own group's change after it is the barrier.
		const heardRefreshed = record(refreshed, 'moderation:queue');
		const barrier = nextEvent(refreshed, 'moderation:queue');
		await post(watched, 'after the demotion');
		const ownPost = await post(own, 'barrier');
		expect(await barrier).toEqual({ group: own.group.id, item: 'post', id: Number(ownPost.id), status: 'pending' });
		expect(heardRefreshed.filter((change) => change.group === watched.group.id)).toEqual([]);

		// The socket that never refreshed is moved by the re-check (COMMUNITY_ACCESS_RECHECK_MS), then hears the same.
		await eventually(
			async () => {
				const heard = record(idle, 'moderation:queue');
				await post(watched, 'probe');
				const barrierPost = await post(own, 'probe barrier');
				await eventually(async () => heard.some((change) => change.group === own.group.id && change.id === Number(barrierPost.id)));
				return heard.every((change) => change.group === own.group.id);
			},
			10_000,
			'the re-check moved the idle socket',
		);
	});
});
