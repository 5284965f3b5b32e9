import * as hdr from 'hdr-histogram-js';

/** Latencies in microseconds, 1 µs to 60 s, 3 significant digits. */
export function latencyHistogram(): hdr.Histogram {
	return hdr.build({
		lowestDiscernibleValue: 1,
		highestTrackableValue: 60_000_000,
		numberOfSignificantValueDigits: 3,
		useWebAssembly: false,
	});
}

export function encodeHistogram(histogram: hdr.Histogram): string {
	return hdr.encodeIntoCompressedBase64(histogram);
}

export function mergeEncoded(target: hdr.Histogram, encoded: string): void {
	target.add(hdr.decodeFromCompressedBase64(encoded, 32, false));
}

export interface LatencySummary {
	count: number;
	p50: number;
	p95: number;
	p99: number;
	max: number;
}

/** Percentiles in milliseconds. */
export function summarize(histogram: hdr.Histogram): LatencySummary {
	const ms = (us: number) => Math.round(us / 10) / 100;
	return {
		count: histogram.totalCount,
		p50: ms(histogram.getValueAtPercentile(50)),
		p95: ms(histogram.getValueAtPercentile(95)),
		p99: ms(histogram.getValueAtPercentile(99)),
		max: ms(histogram.maxValue),
	};
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one machine. */
export const nowMs = (): number => performance.timeOrigin + performance.now();
