import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifySocketToken } from '../../extensions/lms-community/src/lib/realtime/auth.js';
import { loadGroupFacts } from '../../extensions/lms-community/src/lib/rules/facts.js';
import { asAdmin, createUser } from '../support/api.js';
import { communityFixture } from '../support/community.js';
import { openDatabase, outcome, readAloneAndTogether } from '../support/database.js';
import { signToken } from '../support/socket.js';

/**
 * The connect path's reads (a token's user, session and policies; a join's facts with the read marker) on the
 * test instance's own database. On PostgreSQL the reads in flight together go as one statement: each must be
 * answered exactly as it is when read alone, and one bad key must fail only its own read.
 */
describe('the connect path', () => {
	let knex: Knex;
	const { db, secret } = inject('directus');

	beforeAll(() => {
		knex = openDatabase(inject('directus').configPath);
	});
	afterAll(() => knex.destroy());

	const aloneAndTogether = <K, R>(keys: K[], read: (key: K) => Promise<R>) => readAloneAndTogether(knex, db, keys, read);

	it('token checks in flight together: one statement, each answered as when checked alone', async () => {
		const { students, instructor } = await communityFixture({ students: 2 });
		const suspended = await createUser('Student', 'suspended');
		await (await asAdmin()).ok('PATCH', `/users/${suspended.id}`, { status: 'suspended' });
		const tokens = [
			students[0]!.api.token!,
			students[1]!.api.token!,
			instructor.api.token!,
			signToken({ id: students[0]!.id }),
			signToken({ id: students[1]!.id, session: 'a-session-that-never-was' }),
			suspended.api.token!,
			signToken({ id: randomUUID() }),
			// Not an id PostgreSQL can read: the batch's statement fails, each token is checked alone.
			signToken({ id: 'not-a-uuid' }),
		];
		const check = (token: string) =>
			outcome(verifySocketToken(token, secret, knex, '203.0.113.9').then(({ expiresAt: _, ...identity }) => identity));
		const alone = await aloneAndTogether(tokens, check);
		expect(alone.slice(0, 4).map((one) => ('ok' in one ? one.ok.sendsChat : one.error))).toEqual([true, true, true, true]);
		expect(alone.slice(4, 7).map((one) => ('error' in one ? one.error : 'ok'))).toEqual([
			'SESSION_ENDED',
			'USER_INACTIVE',
			'USER_INACTIVE',
		]);
	});

	it("joins' facts in flight together: one statement, each answered as when read alone", async () => {
		const { group, students, instructor } = await communityFixture({ students: 2 });
		const other = await communityFixture({ students: 1 });
		const post = (body: string) => students[1]!.api.ok<{ id: number }>('POST', '/items/community_messages', { group: group.id, body });
		let last = 0;
		for (const body of ['one', 'two', 'three']) last = (await post(body)).id;
		expect((await students[0]!.api.post(`/community/groups/${group.id}/read`, { message: last })).status).toBe(200);
		await post('four');
		const keys: Array<[number, string]> = [
			[group.id, students[0]!.id],
			[group.id, students[1]!.id],
			[group.id, instructor.id],
			[group.id, other.students[0]!.id],
			[other.group.id, students[0]!.id],
			[2_000_000_000, students[0]!.id],
			// Past PostgreSQL's integer: the batch's statement fails, each pair is read alone.
			[3_000_000_000, students[0]!.id],
		];
		const read = ([groupId, userId]: [number, string]) => outcome(loadGroupFacts(knex, groupId, userId, { withReadMarker: true }));
		const alone = await aloneAndTogether(keys, read);
		expect(alone.map((one) => ('ok' in one ? one.ok.readMarker?.unread : one.error))).toEqual([
			1,
			0,
			4,
			// Not members: their unread count is not taken (it would count the whole group for nothing).
			0,
			0,
			undefined,
			db === 'postgres' ? '22003' : undefined,
		]);
	});
});
