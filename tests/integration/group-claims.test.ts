import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createGroupClaims, type GroupClaims } from '../../extensions/lms-community/src/lib/community/group-claims.js';
import { communityFixture } from '../support/community.js';
import { openDatabase } from '../support/database.js';
import { eventually } from '../support/api.js';

/**
 * The claims retention takes before working on a group (src/lib/community/group-claims.ts), both kinds: Redis
 * keys (the machine's Redis, a prefix of this run's own) and the claim column on the test instance's database.
 */
const logger = { warn: () => undefined, info: () => undefined };
/** One prefix for the run: the instances of a test contend for the same keys. */
const redisPrefix = `claims-test-${randomBytes(4).toString('hex')}:`;
let db: Knex;
let groups: number[];

beforeAll(async () => {
	db = openDatabase(inject('directus').configPath);
	groups = [(await communityFixture({ students: 0 })).group.id, (await communityFixture({ students: 0 })).group.id];
});
afterAll(async () => {
	await db.destroy();
});

const kinds: Array<[string, (ttlMs: number) => GroupClaims]> = [
	[
		'Redis',
		(ttlMs) =>
			createGroupClaims({
				knex: db,
				redis: { kind: 'url', url: 'redis://127.0.0.1:6379' },
				redisPrefix,
				ttlMs,
				logger,
			}),
	],
	['the database', (ttlMs) => createGroupClaims({ knex: db, redis: null, redisPrefix: '', ttlMs, logger })],
];

describe.each(kinds)('group claims in %s', (_name, create) => {
	it('let one holder in per group until it releases', async () => {
		const [one, other] = [create(60_000), create(60_000)];
		try {
			const release = await one.claim(groups[0]!);
			expect(release).toBeTypeOf('function');
			expect(await other.claim(groups[0]!)).toBeNull();
			const second = await other.claim(groups[1]!);
			expect(second).toBeTypeOf('function');
			await release!();
			const again = await other.claim(groups[0]!);
			expect(again).toBeTypeOf('function');
			await again!();
			await second!();
		} finally {
			await Promise.all([one.close(), other.close()]);
		}
	});

	it("expire when the holder dies, and a late release leaves the next holder's claim alone", async () => {
		const [dying, next] = [create(300), create(60_000)];
		try {
			const late = await dying.claim(groups[0]!);
			expect(late).toBeTypeOf('function');
			const taken = await eventually(() => next.claim(groups[0]!), 5_000);
			await late!();
			expect(await dying.claim(groups[0]!)).toBeNull();
			await taken();
		} finally {
			await Promise.all([dying.close(), next.close()]);
		}
	});
});
