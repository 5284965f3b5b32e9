import type { Knex } from 'knex';
import { SerialBatches, type Waiting } from '../db/serial-batches.js';

export type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

/**
 * Group commit: writes that arrive while a commit is in flight wait for it, then go together in one transaction,
 * so one WAL flush serves all of them (under load the send path waits on WAL flushes, not on CPU). A lone write
 * runs as it is, with no transaction around it and no added wait. Each write of a batch runs in its own
 * savepoint: one failing (a retry racing its first attempt) leaves the others. Every outcome is given only after
 * COMMIT, so a write is never reported before it is durable, and a failed one sees its rival's committed row.
 * Writes are taken in `order` (stable), so concurrent batches lock rows in one order and cannot deadlock.
 * With `writeBatch`, a batch is first tried as one statement with an outcome per write (one round trip for all);
 * if that statement fails, nothing of it was written and the batch goes the savepoint way.
 */
export class GroupCommit<I, O> {
	private readonly batches: SerialBatches<I, O>;

	constructor(
		private readonly knex: Knex,
		private readonly write: (db: Knex, input: I) => Promise<O>,
		private readonly order: (a: I, b: I) => number,
		maxBatch: number,
		private readonly writeBatch?: (db: Knex, inputs: I[]) => Promise<Array<Outcome<O>>>,
	) {
		this.batches = new SerialBatches((batch) => this.run(batch), maxBatch);
	}

	submit(input: I): Promise<O> {
		return this.batches.submit(input);
	}

	private async run(batch: Array<Waiting<I, O>>): Promise<void> {
		if (batch.length === 1) {
			const [only] = batch as [Waiting<I, O>];
			await this.write(this.knex, only.input).then(only.resolve, only.reject);
			return;
		}
		const ordered = [...batch].sort((a, b) => this.order(a.input, b.input));
		const together = this.writeBatch
			? await this.writeBatch(
					this.knex,
					ordered.map((pending) => pending.input),
				).catch(() => null)
			: null;
		if (together) return this.settle(ordered, together);
		const outcomes: Array<Outcome<O>> = [];
		try {
			await this.knex.transaction(async (trx) => {
				for (const pending of ordered)
					outcomes.push(
						await trx
							.transaction((savepoint) => this.write(savepoint, pending.input))
							.then(
								(value): Outcome<O> => ({ ok: true, value }),
								(error: unknown): Outcome<O> => ({ ok: false, error }),
							),
					);
			});
		} catch (error) {
			for (const pending of ordered) pending.reject(error);
			return;
		}
		this.settle(ordered, outcomes);
	}

	private settle(ordered: Array<Waiting<I, O>>, outcomes: Array<Outcome<O>>): void {
		ordered.forEach((pending, i) => {
			const outcome = outcomes[i]!;
			if (outcome.ok) pending.resolve(outcome.value);
			else pending.reject(outcome.error);
		});
	}
}
