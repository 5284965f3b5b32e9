import { describe, expect, it } from 'vitest';
import { eventually } from '../support/api.js';
import { communityFixture, errorCode, notificationsOf } from '../support/community.js';

describe('notifications in the app', () => {
	it('counts unread ones; dismissing and deleting act on the caller’s own only', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const thread = await alice.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Q', body: 'help' });
		for (const body of ['one', 'two', 'three'])
			await instructor.api.ok('POST', '/items/community_posts', { group: group.id, parent: thread.id, body: `${body} <@${bob.id}>` });
		const mine = await eventually(async () => {
			const list = await notificationsOf(alice, 'post_reply');
			return list.length === 3 ? list : null;
		});
		await eventually(async () => (await notificationsOf(bob, 'mention')).length === 3);

		const count = async (user: typeof alice) => (await user.api.ok('GET', '/community/me/notifications/unread-count')).unread as number;
		expect(await count(alice)).toBe(3);
		const groups = await alice.api.get('/community/me/groups');
		expect(groups.body.meta).toEqual({ unread_messages: 0, unread_notifications: 3 });
		expect(groups.body.data.find((g: any) => g.id === group.id).unread_notifications).toBe(3);

		// Bob cannot touch alice's notifications: dismissing changes nothing, deleting answers like a missing one.
		expect(await bob.api.ok('POST', '/community/notifications/dismiss', { ids: [mine[0].id] })).toEqual({ updated: 0 });
		const foreign = await bob.api.delete(`/community/notifications/${mine[0].id}`);
		expect([foreign.status, errorCode(foreign)]).toEqual([403, 'FORBIDDEN']);

		expect(await alice.api.ok('POST', '/community/notifications/dismiss', { ids: [mine[0].id] })).toEqual({ updated: 1 });
		expect(await count(alice)).toBe(2);
		const dismissed = (await notificationsOf(alice)).find((n) => n.id === mine[0].id);
		expect(dismissed.dismissed_at).toBeTruthy();
		expect(dismissed.read_at).toBeTruthy();

		expect(await alice.api.ok('DELETE', `/community/notifications/${mine[1].id}`)).toEqual({ deleted: 1 });
		expect((await notificationsOf(alice)).map((n) => n.id)).not.toContain(mine[1].id);
		expect(await count(alice)).toBe(1);
		const again = await alice.api.delete(`/community/notifications/${mine[1].id}`);
		expect([again.status, errorCode(again)]).toEqual([403, 'FORBIDDEN']);

		expect(await alice.api.ok('POST', '/community/notifications/dismiss', { all: true })).toEqual({ updated: 1 });
		expect(await count(alice)).toBe(0);
		expect(await count(bob)).toBe(3);
	});

	it('refuses bad input and anonymous callers', async () => {
		const { students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		for (const [method, path, body, status, code] of [
			['POST', '/community/notifications/dismiss', { ids: [] }, 400, 'INVALID_PAYLOAD'],
			['POST', '/community/notifications/dismiss', { ids: ['x'] }, 400, 'INVALID_PAYLOAD'],
			['POST', '/community/notifications/dismiss', { everything: true }, 400, 'INVALID_PAYLOAD'],
			['DELETE', '/community/notifications/abc', undefined, 400, 'INVALID_PAYLOAD'],
		] as const) {
			const response = await alice.api.request(method, path, body);
			expect([response.status, errorCode(response)], `${method} ${path}`).toEqual([status, code]);
		}
		const { Api, directusUrl } = await import('../support/api.js');
		const anonymous = new Api(directusUrl());
		const response = await anonymous.get('/community/me/notifications/unread-count');
		expect(response.status).toBe(401);
	});
});
