import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { isPostgres } from '../setup/search-index.js';

/**
 * Hot statements as named prepared statements on PostgreSQL: the server parses and plans each one once per
 * connection instead of on every run. On the send path planning costs more than running (pgbench, one send's
 * two statements: 1.94 ms a transaction unnamed, 0.57 ms prepared; docs/performance.md). Other databases run
 * the query through knex as usual.
 *
 * A prepared `SELECT g.*` or `RETURNING *` fails with SQLSTATE 0A000 ("cached plan must not change result
 * type") once an admin adds or drops a column of its table. Every statement is then renamed on every connection
 * (a stale one is never used again, and each connection plans anew on its next run, so one failure is all a
 * change costs) and run once more where that is possible: outside a transaction. Inside one the error stands,
 * and the caller runs the write again (isStalePlan): on any connection it is planned afresh.
 */

interface PgConnection {
	query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

interface KnexClientInternals {
	acquireConnection(): Promise<PgConnection>;
	releaseConnection(connection: PgConnection): Promise<void>;
	emit(event: 'query', query: { sql: string; bindings: readonly unknown[]; method: 'raw' }): void;
}

/** How many times statements went stale in this process: part of every name, so a stale one is left behind. */
let generation = 0;

export function isStalePlan(error: unknown): boolean {
	const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
	return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}

export async function preparedRows<Row>(knex: Knex, query: Knex.QueryBuilder | Knex.Raw): Promise<Row[]> {
	if (!isPostgres(knex)) {
		const result: unknown = await query;
		return (Array.isArray(result) ? result : ((result as { rows?: Row[] }).rows ?? [])) as Row[];
	}
	const { sql, bindings } = query.toSQL().toNative();
	return runPrepared<Row>(knex, sql, bindings as unknown[]);
}

/** A statement in PostgreSQL's own syntax (`$1`, `$2`, …; arrays as parameters), prepared as preparedRows does. */
export async function runPrepared<Row>(knex: Knex, sql: string, bindings: unknown[]): Promise<Row[]> {
	const hash = createHash('sha1').update(sql).digest('base64url').slice(0, 24);
	const client = knex.client as unknown as KnexClientInternals;
	const connection = await client.acquireConnection();
	const run = () => {
		// Knex's own event, so whoever watches the statements (logging, the send path's statement budget) sees these too.
		client.emit('query', { sql, bindings, method: 'raw' });
		return connection.query({ name: `lms_${hash}_${generation}`, text: sql, values: bindings as unknown[] });
	};
	try {
		return (await run()).rows as Row[];
	} catch (error) {
		if (!isStalePlan(error)) throw error;
		generation += 1;
		if (knex.isTransaction) throw error;
		return (await run()).rows as Row[];
	} finally {
		await client.releaseConnection(connection);
	}
}
