import { describe, expect, it } from 'vitest';
import { BatchedReads, rowsPerKey } from './batched-reads.js';
import { SerialBatches } from './serial-batches.js';

/** A database stand-in whose statements finish when the test says so. */
function fakeDatabase() {
	const statements: Array<{ keys: number[]; finish(): void }> = [];
	const statement = <R>(keys: number[], answer: () => R) =>
		new Promise<R>((resolve, reject) =>
			statements.push({
				keys,
				finish: () => {
					try {
						resolve(answer());
					} catch (error) {
						reject(error);
					}
				},
			}),
		);
	return { statements, statement };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('batched reads', () => {
	it('runs a lone read alone, and the reads that came meanwhile as one statement, each answered its own row', async () => {
		const db = fakeDatabase();
		const reads = new BatchedReads<number, string>(
			(key) => db.statement([key], () => `one ${key}`),
			(keys) => db.statement(keys, () => keys.map((key) => `many ${key}`)),
			10,
		);
		const first = reads.load(1);
		const waiting = [reads.load(2), reads.load(3), reads.load(4)];
		await settled();
		expect(db.statements.map((s) => s.keys)).toEqual([[1]]);
		db.statements[0]!.finish();
		expect(await first).toBe('one 1');
		await settled();
		expect(db.statements.map((s) => s.keys)).toEqual([[1], [2, 3, 4]]);
		db.statements[1]!.finish();
		expect(await Promise.all(waiting)).toEqual(['many 2', 'many 3', 'many 4']);
	});

	it('takes at most maxBatch reads in one statement', async () => {
		const db = fakeDatabase();
		const reads = new BatchedReads<number, number>(
			(key) => db.statement([key], () => key),
			(keys) => db.statement(keys, () => keys),
			2,
		);
		const all = [1, 2, 3, 4, 5].map((key) => reads.load(key));
		for (let i = 0; i < 3; i++) {
			await settled();
			db.statements[i]!.finish();
		}
		expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5]);
		expect(db.statements.map((s) => s.keys)).toEqual([[1], [2, 3], [4, 5]]);
	});

	it('reads each key alone when the batch statement fails, so a bad key fails only its own read', async () => {
		const db = fakeDatabase();
		const reads = new BatchedReads<number, number>(
			(key) =>
				db.statement([key], () => {
					if (key === 3) throw new Error('bad key');
					return key * 10;
				}),
			(keys) =>
				db.statement(keys, () => {
					throw new Error('the batch fails');
				}),
			10,
		);
		const first = reads.load(1);
		const rest = [2, 3, 4].map((key) => reads.load(key).catch((error: Error) => error.message));
		await settled();
		db.statements[0]!.finish();
		await first;
		await settled();
		db.statements[1]!.finish();
		await settled();
		for (const statement of db.statements.slice(2)) statement.finish();
		expect(await Promise.all(rest)).toEqual([20, 'bad key', 40]);
		expect(db.statements.map((s) => s.keys)).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
	});
});

describe('rows per key', () => {
	it('groups a batch statement by its 1-based position, untagged, with an empty list for a key without rows', () => {
		const rows = [
			{ lms_batch_ord: '2', policy: 'b1' },
			{ lms_batch_ord: '1', policy: 'a1' },
			{ lms_batch_ord: '2', policy: 'b2' },
		];
		expect(rowsPerKey(rows, 3)).toEqual([[{ policy: 'a1' }], [{ policy: 'b1' }, { policy: 'b2' }], []]);
	});
});

describe('serial batches', () => {
	it('answers a batch whose run throws with the error, and runs the next batch', async () => {
		let runs = 0;
		const batches = new SerialBatches<number, number>(async (batch) => {
			runs += 1;
			if (runs === 1) throw new Error('the run broke');
			for (const waiting of batch) waiting.resolve(waiting.input);
		}, 10);
		const first = batches.submit(1).catch((error: Error) => error.message);
		const second = batches.submit(2);
		expect([await first, await second]).toEqual(['the run broke', 2]);
	});
});
