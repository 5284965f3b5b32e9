import knexFactory, { type Knex } from 'knex';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

describe('group commit', () => {
	let knex: Knex;
	const statements: string[] = [];

	beforeEach(async () => {
		statements.length = 0;
		knex = knexFactory({ client: 'sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
		await knex.schema.createTable('rows', (table) => {
			table.increments('id');
			table.integer('grp').notNullable();
			table.string('name').notNullable().unique();
		});
		knex.on('query', (query: { sql: string }) => statements.push(query.sql.toLowerCase()));
	});
	afterEach(() => knex.destroy());

	const writer = () =>
		new GroupCommit<{ grp: number; name: string }, number>(
			knex,
			async (db, input) => Number((await db('rows').insert(input).returning('id'))[0]!.id),
			(a, b) => a.grp - b.grp,
			10,
		);

	it('runs a lone write as it is, without a transaction', async () => {
		expect(await writer().submit({ grp: 1, name: 'a' })).toBeGreaterThan(0);
		expect(statements.some((sql) => sql.startsWith('begin') || sql.startsWith('savepoint'))).toBe(false);
	});

	it('commits writes that queued behind a commit together; one failing leaves the others, and all answer after COMMIT', async () => {
		await knex('rows').insert({ grp: 9, name: 'taken' });
		const commits = writer();
		const first = commits.submit({ grp: 1, name: 'first' });
		const answeredAt: Record<string, number> = {};
		const queued = [
			{ grp: 3, name: 'c' },
			{ grp: 2, name: 'taken' },
			{ grp: 2, name: 'b' },
		].map((input) =>
			commits.submit(input).then(
				(id) => ((answeredAt[input.name] = statements.length), id),
				(error: Error) => {
					answeredAt[input.name] = statements.length;
					throw error;
				},
			),
		);
		await first;
		expect((await Promise.allSettled(queued)).map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
		expect((await knex('rows').orderBy('id').pluck('name')).slice(1)).toEqual(['first', 'b', 'c']);
		const commit = statements.findIndex((sql) => sql === 'commit;' || sql === 'commit');
		expect(commit).toBeGreaterThan(0);
		for (const name of ['b', 'c', 'taken']) expect(answeredAt[name]).toBeGreaterThan(commit);
	});
});
