import knexFactory, { type Knex } from 'knex';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit, type Outcome } from './group-commit.js';

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

	const batchedWriter = (writeBatch: (db: Knex, inputs: Array<{ grp: number; name: string }>) => Promise<Array<Outcome<number>>>) =>
		new GroupCommit<{ grp: number; name: string }, number>(
			knex,
			async (db, input) => Number((await db('rows').insert(input).returning('id'))[0]!.id),
			(a, b) => a.grp - b.grp,
			10,
			writeBatch,
		);

	it('writes a queued batch in one statement when given a batch writer, each write with its own outcome', async () => {
		const batches: string[][] = [];
		const commits = batchedWriter(async (db, inputs) => {
			batches.push(inputs.map((input) => input.name));
			const ids = (await db('rows').insert(inputs).returning('id')).map((row: { id: number }) => Number(row.id));
			return inputs.map((input, i) =>
				input.name === 'refused' ? { ok: false, error: new Error('refused') } : { ok: true, value: ids[i]! },
			);
		});
		const first = commits.submit({ grp: 1, name: 'first' });
		const queued = ['c', 'refused', 'b'].map((name, i) => commits.submit({ grp: 3 - i, name }));
		await first;
		expect((await Promise.allSettled(queued)).map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
		expect(batches).toEqual([['b', 'refused', 'c']]);
		expect(statements.some((sql) => sql.startsWith('savepoint'))).toBe(false);
	});

	it('writes the batch one at a time in savepoints when the batch statement fails, and nothing of it stays', async () => {
		await knex('rows').insert({ grp: 9, name: 'taken' });
		const commits = batchedWriter(async (db, inputs) => {
			await db('rows').insert(inputs);
			return inputs.map(() => ({ ok: true, value: 0 }));
		});
		const first = commits.submit({ grp: 1, name: 'first' });
		const queued = [
			{ grp: 2, name: 'b' },
			{ grp: 2, name: 'taken' },
		].map((input) => commits.submit(input));
		await first;
		expect((await Promise.allSettled(queued)).map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected']);
		expect(await knex('rows').orderBy('id').pluck('name')).toEqual(['taken', 'first', 'b']);
		expect(statements.some((sql) => sql.startsWith('savepoint'))).toBe(true);
	});
});
