export interface Waiting<I, O> {
	input: I;
	resolve(value: O): void;
	reject(error: unknown): void;
}

/**
 * One batch in flight at a time: work submitted while one runs waits for it and goes in the next batch (at
 * most `maxBatch`); work submitted while nothing runs goes at once, alone. The shape of group commit, for
 * writes (GroupCommit) and reads (BatchedReads). `run` settles every item of its batch.
 */
export class SerialBatches<I, O> {
	private queue: Array<Waiting<I, O>> = [];
	private flushing = false;

	constructor(
		private readonly run: (batch: Array<Waiting<I, O>>) => Promise<void>,
		private readonly maxBatch: number,
	) {}

	submit(input: I): Promise<O> {
		return new Promise<O>((resolve, reject) => {
			this.queue.push({ input, resolve, reject });
			void this.flush();
		});
	}

	private async flush(): Promise<void> {
		if (this.flushing) return;
		this.flushing = true;
		try {
			while (this.queue.length > 0) {
				const batch = this.queue.splice(0, this.maxBatch);
				// A run that throws must not strand its batch (a settled promise ignores the second answer).
				await this.run(batch).catch((error: unknown) => batch.forEach((waiting) => waiting.reject(error)));
			}
		} finally {
			this.flushing = false;
		}
	}
}
