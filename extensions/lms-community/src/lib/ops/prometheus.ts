/**
 * The few Prometheus metric types the bundle needs, written in the text exposition format (version 0.0.4).
 * By hand rather than prom-client: the bundle gets its own copy of whatever it imports, so prom-client's
 * global registry here would not be Directus's anyway (docs/operations.md), and these ~100 lines are all we use.
 */

export type Labels = Record<string, string>;

export interface Metric {
	render(): string;
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const formatLabels = (labels: Labels) => {
	const entries = Object.entries(labels);
	return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
};
const formatNumber = (value: number) => (value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value));
const header = (name: string, help: string, type: string) =>
	`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;

/** A monotonically increasing count, optionally split by labels (one series per label set seen). */
export class Counter implements Metric {
	private readonly series = new Map<string, { labels: Labels; value: number }>();

	constructor(
		readonly name: string,
		private readonly help: string,
	) {}

	inc(labels: Labels = {}, by = 1): void {
		if (!(by >= 0)) return;
		const key = formatLabels(labels);
		const current = this.series.get(key) ?? { labels, value: 0 };
		current.value += by;
		this.series.set(key, current);
	}

	value(labels: Labels = {}): number {
		return this.series.get(formatLabels(labels))?.value ?? 0;
	}

	render(): string {
		let text = header(this.name, this.help, 'counter');
		// An unlabelled counter shows 0 before its first event, so a rate over it exists from the first scrape.
		if (this.series.size === 0) return `${text}${this.name} 0\n`;
		for (const [key, { value }] of this.series) text += `${this.name}${key} ${formatNumber(value)}\n`;
		return text;
	}
}

/** A value read when scraped (live connections and the like): nothing to keep in step. */
export class Gauge implements Metric {
	constructor(
		readonly name: string,
		private readonly help: string,
		private readonly read: () => Array<{ labels?: Labels; value: number }>,
	) {}

	render(): string {
		let text = header(this.name, this.help, 'gauge');
		for (const { labels = {}, value } of this.read()) text += `${this.name}${formatLabels(labels)} ${formatNumber(value)}\n`;
		return text;
	}
}

/** Observations counted into cumulative buckets (upper bounds, ascending), with their sum and count. */
export class Histogram implements Metric {
	private readonly counts: number[];
	private sum = 0;
	private count = 0;

	constructor(
		readonly name: string,
		private readonly help: string,
		private readonly buckets: readonly number[],
	) {
		this.counts = buckets.map(() => 0);
	}

	observe(value: number): void {
		if (!Number.isFinite(value) || value < 0) return;
		this.sum += value;
		this.count += 1;
		const index = this.buckets.findIndex((bound) => value <= bound);
		if (index >= 0) this.counts[index]! += 1;
	}

	render(): string {
		let text = header(this.name, this.help, 'histogram');
		let cumulative = 0;
		this.buckets.forEach((bound, i) => {
			cumulative += this.counts[i]!;
			text += `${this.name}_bucket{le="${formatNumber(bound)}"} ${cumulative}\n`;
		});
		text += `${this.name}_bucket{le="+Inf"} ${this.count}\n`;
		text += `${this.name}_sum ${formatNumber(this.sum)}\n${this.name}_count ${this.count}\n`;
		return text;
	}
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export const renderAll = (metrics: Metric[]): string => metrics.map((metric) => metric.render()).join('');
