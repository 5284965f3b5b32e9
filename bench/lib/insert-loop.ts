import knex, { type Knex } from 'knex';
import { PG_CONNECTION } from '../../tests/support/directus-instance.js';
import type { Deployment } from './deployments.js';
import { latencyHistogram, summarize, type LatencySummary } from './histogram.js';

export function knexFor(deployment: Deployment): Knex {
	return deployment.connection.client === 'pg'
		? knex({ client: 'pg', connection: { ...PG_CONNECTION, database: deployment.connection.database }, pool: { min: 1, max: 4 } })
		: knex({
				client: 'sqlite3',
				connection: { filename: deployment.connection.filename },
				useNullAsDefault: true,
				pool: { min: 1, max: 1 },
			});
}

export interface InsertLoopResult {
	rowsPerS: number;
	rows: number;
	latency: LatencySummary;
}

/**
 * Baseline (d), the persistence ceiling: one connection inserting message rows one after another, as fast as
 * the database takes them, into the same table (the seq comes from a local counter: no locking, no checks).
 */
export async function insertLoop(deployment: Deployment, group: number, sender: string, durationS: number): Promise<InsertLoopResult> {
	const db = knexFor(deployment);
	try {
		const [row] = await db('community_messages').where({ group }).max({ max: 'seq' });
		let seq = Number(row?.max ?? 0) + 1_000_000;
		const histogram = latencyHistogram();
		const until = performance.now() + durationS * 1000;
		const started = performance.now();
		let rows = 0;
		while (performance.now() < until) {
			const at = performance.now();
			await db('community_messages').insert({ group, sender, body: 'insert loop', seq: seq++, date_created: new Date().toISOString() });
			histogram.recordValue(Math.max(1, Math.round((performance.now() - at) * 1000)));
			rows++;
		}
		return { rowsPerS: Math.round(rows / ((performance.now() - started) / 1000)), rows, latency: summarize(histogram) };
	} finally {
		await db.destroy();
	}
}

/** Counts the deployment's stored messages (a chat target's `storedMessages`); `close()` when done. */
export function messageCounter(deployment: Deployment): { count: () => Promise<number>; close: () => Promise<void> } {
	const db = knexFor(deployment);
	return {
		count: async () => Number((await db('community_messages').count({ count: '*' }))[0]!['count']),
		close: () => db.destroy(),
	};
}
