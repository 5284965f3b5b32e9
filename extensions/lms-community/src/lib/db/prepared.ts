import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { isDeepStrictEqual } from 'node:util';
import { isPostgres } from '../setup/search-index.js';

/**
 * Hot statements as named prepared statements on PostgreSQL: the server parses and plans each one once per
 * connection instead of on every run. On the send path planning costs more than running (pgbench, one send's
 * two statements: 1.94 ms a transaction unnamed, 0.57 ms prepared; docs/performance.md). Other databases run
 * the query through knex as usual.
 *
 * A prepared `SELECT g.*` or `RETURNING *` fails with SQLSTATE 0A000 ("cached plan must not change result
 * type") once an admin adds or drops a column of its table, on each connection that prepared it before. Every
 * statement is then renamed on every connection (a stale one is never used again; each connection plans anew on
 * its next run) and the failed one runs once more, which is possible outside a transaction only: statements in
 * a transaction go unprepared (compiledStatement), and a caller of runPrepared inside one gets the error and runs
 * its write again (isStalePlan).
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

/** An argument's place in a compiled statement's bindings, or a value the builder fixed. */
type Slot = { arg: number } | { value: unknown };

/**
 * A hot statement whose SQL knex builds once per process: on PostgreSQL later runs only bind their arguments
 * and run it prepared (knex's building was a visible share of a send's and of a connect's CPU). `build` gets
 * stand-ins for its arguments the first time, so its SQL must not depend on them: no branching on an argument,
 * no argument array spread by `whereIn`, no `new Date()` inside (a time is an argument). It is built twice with
 * different stand-ins and refused when that changes anything but the arguments' bindings. Other databases, and
 * transactions, run `build` with the arguments through knex.
 */
export function compiledStatement<Args extends unknown[]>(build: (knex: Knex, ...args: Args) => Knex.QueryBuilder | Knex.Raw) {
	let compiled: { sql: string; slots: Slot[] } | undefined;
	return async function rows<Row>(knex: Knex, ...args: Args): Promise<Row[]> {
		// Inside a transaction (REST's writes) a stale plan could not be run again without failing the transaction:
		// those statements go unprepared, so an admin's schema change costs no request.
		if (!isPostgres(knex) || knex.isTransaction) {
			const result: unknown = await build(knex, ...args);
			return (Array.isArray(result) ? result : ((result as { rows?: Row[] }).rows ?? [])) as Row[];
		}
		compiled ??= compile(knex, build, args.length);
		const bindings = compiled.slots.map((slot) => ('arg' in slot ? args[slot.arg] : slot.value));
		return runPrepared<Row>(knex, compiled.sql, bindings);
	};
}

/** The SQL text and where each binding comes from (exported for its tests). */
export function compile<Args extends unknown[]>(
	knex: Knex,
	build: (knex: Knex, ...args: Args) => Knex.QueryBuilder | Knex.Raw,
	arity: number,
): { sql: string; slots: Slot[] } {
	const standIns = (variant: string) => Array.from({ length: arity }, (_, i) => `\u0000${variant}${i}\u0000`);
	const [first, second] = [standIns('a'), standIns('b')];
	const a = build(knex, ...(first as Args))
		.toSQL()
		.toNative();
	const b = build(knex, ...(second as Args))
		.toSQL()
		.toNative();
	const refuse = (why: string) => new Error(`compiledStatement: ${why}: ${a.sql}`);
	if (a.sql !== b.sql || a.bindings.length !== b.bindings.length) throw refuse('its SQL depends on its arguments');
	const slots = a.bindings.map((value, i): Slot => {
		const arg = first.indexOf(value as string);
		if (arg >= 0) {
			if (b.bindings[i] !== second[arg]) throw refuse(`argument ${arg} is bound differently from one build to the next`);
			return { arg };
		}
		if (value instanceof Date || !isDeepStrictEqual(value, b.bindings[i]))
			throw refuse(`binding ${i} is not an argument and not a constant`);
		return { value };
	});
	if (first.some((_, arg) => !slots.some((slot) => 'arg' in slot && slot.arg === arg))) throw refuse('an argument is not bound');
	return { sql: a.sql, slots };
}

/** A statement's name: the hash of its text (statements are few and fixed, so the names are kept). */
const names = new Map<string, string>();
function nameOf(sql: string): string {
	let name = names.get(sql);
	if (!name) {
		name = createHash('sha1').update(sql).digest('base64url').slice(0, 24);
		names.set(sql, name);
	}
	return name;
}

/** A statement in PostgreSQL's own syntax (`$1`, `$2`, …; arrays as parameters), run as a named prepared statement. */
export async function runPrepared<Row>(knex: Knex, sql: string, bindings: unknown[]): Promise<Row[]> {
	const hash = nameOf(sql);
	const client = knex.client as unknown as KnexClientInternals;
	const connection = await client.acquireConnection();
	const run = () => {
		// Knex's own event, so whoever watches the statements (logging, the send path's statement budget) sees these too.
		client.emit('query', { sql, bindings, method: 'raw' });
		return connection.query({ name: `lms_${hash}_${generation}`, text: sql, values: bindings });
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
