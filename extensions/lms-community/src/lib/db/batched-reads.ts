import type { Knex } from 'knex';
import { SerialBatches, type Waiting } from './serial-batches.js';

/**
 * The read side of group commit: reads that arrive while one is in flight wait for it, then go together in one
 * statement (a connect storm's token checks and joins take one round trip per batch instead of one each, and the
 * database runs one statement for all of them). A lone read runs alone, with no added wait. When a batch's
 * statement fails, each of its reads runs alone, so one bad key fails only its own read.
 */
export class BatchedReads<K, R> {
	private readonly batches: SerialBatches<K, R>;

	constructor(
		private readonly readOne: (key: K) => Promise<R>,
		/** One result per key, in the keys' order. */
		private readonly readMany: (keys: K[]) => Promise<R[]>,
		maxBatch: number,
	) {
		this.batches = new SerialBatches((batch) => this.run(batch), maxBatch);
	}

	load(key: K): Promise<R> {
		return this.batches.submit(key);
	}

	private async run(batch: Array<Waiting<K, R>>): Promise<void> {
		if (batch.length > 1) {
			const rows = await this.readMany(batch.map((waiting) => waiting.input)).catch(() => null);
			if (rows && rows.length === batch.length) {
				batch.forEach((waiting, i) => waiting.resolve(rows[i]!));
				return;
			}
		}
		await Promise.all(batch.map((waiting) => this.readOne(waiting.input).then(waiting.resolve, waiting.reject)));
	}
}

/** One BatchedReads per database handle (Directus's knex is one object for the process). */
export function batchedReadsPer<K, R>(make: (knex: Knex) => BatchedReads<K, R>): (knex: Knex) => BatchedReads<K, R> {
	const made = new WeakMap<Knex, BatchedReads<K, R>>();
	return (knex) => {
		let reads = made.get(knex);
		if (!reads) made.set(knex, (reads = make(knex)));
		return reads;
	};
}

/**
 * A batch statement's rows, each tagged with its key's 1-based position (`with ordinality` as `lms_batch_ord`, a
 * name no admin-made field of the joined tables is likely to take), grouped per key, untagged.
 */
export function rowsPerKey<Row extends { lms_batch_ord: unknown }>(rows: Row[], keys: number): Array<Array<Omit<Row, 'lms_batch_ord'>>> {
	const perKey = Array.from({ length: keys }, (): Array<Omit<Row, 'lms_batch_ord'>> => []);
	for (const { lms_batch_ord, ...row } of rows) perKey[Number(lms_batch_ord) - 1]?.push(row);
	return perKey;
}
