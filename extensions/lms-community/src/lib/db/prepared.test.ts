import knexFactory, { type Knex } from 'knex';
import { describe, expect, it } from 'vitest';
import { compile } from './prepared.js';

// Only builds SQL: a PostgreSQL dialect without a connection.
const knex = knexFactory({ client: 'pg' });

describe('compiled statements', () => {
	it('binds each argument where it goes, however often, and keeps the builder constants', () => {
		const { sql, slots } = compile(
			knex,
			(db: Knex, group: number, user: string) =>
				db('community_groups as g')
					.leftJoin('community_members as m', (join) => join.on('m.group', '=', 'g.id').andOn('m.user', '=', db.raw('?', [user])))
					.where('g.id', group)
					.andWhere('g.status', 'active')
					.andWhereNot('g.id', group)
					.limit(1),
			2,
		);
		expect(sql).toContain('"m"."user" = $1');
		expect(slots).toEqual([{ arg: 1 }, { arg: 0 }, { value: 'active' }, { arg: 0 }, { value: 1 }]);
	});

	it('refuses a statement whose SQL depends on an argument', () => {
		expect(() => compile(knex, (db: Knex, user: string) => db('t').where(user.includes('a') ? { a: user } : { b: user }), 1)).toThrow(
			/depends on its arguments/,
		);
		expect(() => compile(knex, (db: Knex, ids: string) => db('t').whereIn('id', ids.split('a')), 1)).toThrow(
			/depends on its arguments|not an argument/,
		);
	});

	it('refuses a time fixed inside the builder, and an argument it never binds', () => {
		expect(() => compile(knex, (db: Knex, user: string) => db('t').where({ user }).andWhere('expires', '>', new Date()), 1)).toThrow(
			/not an argument and not a constant/,
		);
		expect(() => compile(knex, (db: Knex, _user: string) => db('t').where({ id: 1 }), 1)).toThrow(/not bound/);
	});
});
