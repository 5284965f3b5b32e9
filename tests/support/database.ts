import knex, { type Knex } from 'knex';
import { expect } from 'vitest';
import { PG_CONNECTION, readConfig } from './directus-instance.js';

/**
 * A direct connection to an instance's database, for tests that must change a row the way time or another
 * system would (without Directus's hooks), e.g. an enrollment whose end date has just passed.
 */
export function openDatabase(configPath: string): Knex {
	const config = readConfig(configPath);
	if (config['DB_CLIENT'] === 'pg')
		return knex({
			client: 'pg',
			connection: { ...PG_CONNECTION, database: config['DB_DATABASE'], password: '' },
			pool: { min: 0, max: 2 },
		});
	return knex({ client: 'sqlite3', connection: { filename: config['DB_FILENAME']! }, useNullAsDefault: true, pool: { min: 0, max: 1 } });
}

/** Runs `work` and answers the SQL statements it sent through `db`. */
export async function statementsOf(db: Knex, work: () => Promise<unknown>): Promise<string[]> {
	const statements: string[] = [];
	const listener = (query: { sql: string }) => statements.push(query.sql);
	db.on('query', listener);
	try {
		await work();
	} finally {
		db.off('query', listener);
	}
	return statements;
}

/**
 * Reads each key alone, then at once every key but the last (a key PostgreSQL refuses), counting statements,
 * then every key at once: reads in flight together (batched on PostgreSQL: at most one statement for the
 * first and one for all that came while it ran) must answer what the reads alone did. Answers the reads alone.
 */
export async function readAloneAndTogether<K, R>(
	db: Knex,
	kind: 'postgres' | 'sqlite',
	keys: K[],
	read: (key: K) => Promise<R>,
): Promise<R[]> {
	const alone: R[] = [];
	for (const key of keys) alone.push(await read(key));
	const clean = keys.slice(0, -1);
	let together: R[] = [];
	const statements = await statementsOf(db, async () => (together = await Promise.all(clean.map(read))));
	expect(together).toEqual(alone.slice(0, -1));
	// The first read goes alone unless the previous read's batch loop has not ended yet: then all go in one.
	if (kind === 'postgres') expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(2);
	else expect(statements.length, statements.join('\n')).toBe(clean.length);
	expect(await Promise.all(keys.map(read))).toEqual(alone);
	return alone;
}

/** A read's value, or its error's code (a driver error's SQLSTATE), for comparing outcomes. */
export const outcome = <T>(read: Promise<T>): Promise<{ ok: T } | { error: string }> =>
	read.then(
		(value) => ({ ok: value }),
		(error: { code?: string }) => ({ error: error.code ?? String(error) }),
	);
