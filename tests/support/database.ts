import knex, { type Knex } from 'knex';
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
