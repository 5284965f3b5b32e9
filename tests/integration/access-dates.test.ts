import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_COMMUNITY_ENV } from '../global-setup.js';
import { Api, login } from '../support/api.js';
import { errorCode } from '../support/community.js';
import { call, connect, nextEvent } from '../support/socket.js';
import { openDatabase } from '../support/database.js';
import { startDirectusInstance, type DirectusInstance, type TestDatabase } from '../support/directus-instance.js';

/**
 * Enrollment dates take effect at their moment. This instance's membership sweep never runs during the
 * test (a yearly cron), so only the scope check itself can end access; the end date is moved into the past
 * directly in the database, as the passing of time would, without any hook firing.
 */
describe('enrollment dates end access at once, before any sweep', () => {
	let instance: DirectusInstance;
	let database: Knex;
	let admin: Api;

	beforeAll(async () => {
		const db: TestDatabase = process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
		instance = await startDirectusInstance({ db, env: { ...TEST_COMMUNITY_ENV, COMMUNITY_MEMBERSHIP_SYNC_CRON: '0 0 1 1 *' } });
		database = openDatabase(instance.configPath);
		admin = new Api(instance.url, await login(instance.admin.email, instance.admin.password, instance.url));
	});
	afterAll(async () => {
		await database?.destroy();
		await instance?.stop();
	});

	async function student(label: string) {
		const [role] = await admin.ok<Array<{ id: string }>>('GET', '/roles?filter[name][_eq]=Student&fields=id');
		const email = `${label}-${Date.now()}@example.com`;
		const user = await admin.ok<{ id: string }>('POST', '/users', { email, password: 'secret-pass-1', role: role!.id, status: 'active' });
		const token = await login(email, 'secret-pass-1', instance.url);
		return { id: user.id, token, api: new Api(instance.url, token) };
	}

	it('reads and writes stop the moment the enrollment ends, while the membership row still says active', async () => {
		const course = await admin.ok<{ id: number }>('POST', '/items/courses', {
			title: 'Dated',
			code: `D-${Date.now()}`,
			status: 'published',
		});
		const [group] = await admin.ok<Array<{ id: number }>>('GET', `/items/community_groups?filter[course][_eq]=${course.id}`);
		const alice = await student('alice');
		const enrollment = await admin.ok<{ id: number }>('POST', '/items/enrollments', {
			user: alice.id,
			course: course.id,
			role: 'student',
			status: 'active',
			expires_at: new Date(Date.now() + 3_600_000).toISOString(),
		});
		expect((await alice.api.post(`/community/groups/${group!.id}/join`)).status).toBe(200);
		await alice.api.ok('POST', '/items/community_messages', { group: group!.id, body: 'before the end' });
		const listing = `/items/community_messages?filter[group][_eq]=${group!.id}&fields=body`;
		expect(await alice.api.ok('GET', listing)).toEqual([{ body: 'before the end' }]);

		const socket = await connect({ url: instance.url, token: alice.token });
		expect((await call(socket, 'group:join', { group: group!.id })).ok).toBe(true);
		const removed = nextEvent(socket, 'group:removed', 5_000);

		await database('enrollments')
			.where({ id: enrollment.id })
			.update({ expires_at: new Date(Date.now() - 1_000) });

		expect(await alice.api.ok('GET', listing)).toEqual([]);
		expect((await alice.api.get(`/items/community_groups/${group!.id}`)).status).toBe(403);
		const send = await alice.api.post('/items/community_messages', { group: group!.id, body: 'after the end' });
		expect([send.status, errorCode(send)]).toEqual([403, 'FORBIDDEN']);
		const read = await alice.api.post(`/community/groups/${group!.id}/read`, { message: 1 });
		expect([read.status, errorCode(read)]).toEqual([403, 'FORBIDDEN']);
		expect(await removed).toEqual({ group: group!.id, reason: 'expired' });
		expect((await call(socket, 'presence:get', { group: group!.id })).error.code).toBe('NOT_JOINED');
		socket.close();
		const [membership] = await database('community_members').where({ group: group!.id, user: alice.id });
		expect(membership.status).toBe('active');
	});
});
