import type { RateResult } from './chat.js';

export interface Sweep {
	target: string;
	connectMs: number;
	results: RateResult[];
	highestSustainedRate: number;
}

const OURS = 'ours, SQLite';
const BASELINES = ['bare Socket.IO relay', 'Directus realtime (/websocket)', 'ours, nothing stored'];

/**
 * Ours against each baseline: latency ratios at equal load (the highest rate ours sustained that the baseline
 * also ran, else the lowest rate both ran), and the ratio of the highest sustained rates.
 */
export function ratios(sweeps: Sweep[]) {
	const ours = sweeps.find((s) => s.target === OURS);
	if (!ours) return [];
	return BASELINES.flatMap((name) => {
		const baseline = sweeps.find((s) => s.target === name);
		if (!baseline) return [];
		const common = ours.results.filter((r) => baseline.results.some((b) => b.rate === r.rate));
		const atRate = common.filter((r) => r.rate <= ours.highestSustainedRate).at(-1) ?? common[0];
		const other = atRate && baseline.results.find((b) => b.rate === atRate.rate)!;
		const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);
		return [
			{
				baseline: name,
				atRate: atRate?.rate ?? null,
				p50Ratio: atRate && other ? ratio(atRate.latency.p50, other.latency.p50) : null,
				p99Ratio: atRate && other ? ratio(atRate.latency.p99, other.latency.p99) : null,
				sustainedRateRatio: ratio(ours.highestSustainedRate, baseline.highestSustainedRate),
			},
		];
	});
}

const table = (head: string[], rows: Array<Array<string | number | null>>) =>
	[
		`| ${head.join(' | ')} |`,
		`| ${head.map(() => '---').join(' | ')} |`,
		...rows.map((r) => `| ${r.map((c) => c ?? '–').join(' | ')} |`),
	].join('\n');

export function markdownReport(result: Record<string, any>): string {
	const sweeps = result['chat'] as Sweep[];
	const parts: string[] = [];
	parts.push(
		`Commit ${result['commit']}, ${result['date']}, profile \`${result['profile']}\` (\`${result['command']}\`), ${result['machine'].cpus} cores (${result['machine'].cpuModel}), Node ${result['machine'].node}.`,
	);
	if (sweeps.length > 0) chatTables(parts, result, sweeps);
	const loop = result['insertLoop'] ?? {};
	if (Object.keys(loop).length > 0) {
		parts.push('### Persistence ceiling: bare insert loop (one connection)');
		parts.push(
			table(
				['database', 'rows/s', 'p50 ms', 'p99 ms'],
				Object.entries(loop).map(([db, r]: [string, any]) => [db, r.rowsPerS, r.latency.p50, r.latency.p99]),
			),
		);
	}
	if (result['rest']) {
		parts.push(
			`### REST on PostgreSQL (${result['parameters'].rest.connections} connections, ${result['parameters'].rest.durationS} s each)`,
		);
		parts.push(
			table(
				['request', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx'],
				result['rest'].cases.map((c: any) => [c.name, c.requestsPerS, c.p50, c.p99, c.non2xx]),
			),
		);
		parts.push(
			`A student's listing costs **${result['rest'].studentCostVsAdmin}×** the admin's and **${result['rest'].studentCostVsPolicyOff}×** the same student's with the read policy off (throughput ratios).`,
		);
		parts.push(`Unread-count cost, big group / small group (p50): **${result['rest'].unreadCostRatio}×**.`);
	}
	const s = result['startup'];
	if (!s) return parts.join('\n\n');
	parts.push('### Startup and footprint (SQLite)');
	parts.push(
		table(
			['cold: bootstrap + setup + start (ms)', 'start → /server/ping (ms)', 'idle RSS (MB)', 'idle sockets', 'RSS with them (MB)'],
			[[s.coldStartMs, s.startToPingMs, s.idleRssMb, s.idleSockets ?? null, s.rssWithIdleSocketsMb ?? null]],
		),
	);
	return parts.join('\n\n');
}

function chatTables(parts: string[], result: Record<string, any>, sweeps: Sweep[]): void {
	parts.push('### Chat, end to end (latency: sender emit → each receiver; ms)');
	parts.push(
		table(
			[
				'target',
				'msg/s',
				'p50',
				'p95',
				'p99',
				'max',
				'ack p99',
				'delivered / expected',
				'errors',
				'stored/s',
				'deliveries/s',
				'server CPU %',
				'server RSS MB',
				'generator CPU %',
			],
			sweeps.flatMap((s) =>
				s.results.map((r) => [
					s.target,
					r.rate,
					r.latency.p50,
					r.latency.p95,
					r.latency.p99,
					r.latency.max,
					r.ack.p99,
					`${r.received} / ${r.expectedDeliveries}${r.unexpected ? ` (+${r.unexpected} unasked)` : ''}`,
					r.errors,
					r.persistedPerS,
					r.deliveriesPerS,
					r.serverCpuPercent,
					r.serverRssMb,
					r.generatorCpuPercent,
				]),
			),
		),
	);
	parts.push('### Highest sustained rate (p99 ≤ 100 ms, no errors, nothing lost)');
	parts.push(
		table(
			['target', 'msg/s', 'connect all clients (ms)'],
			sweeps.map((s) => [s.target, s.highestSustainedRate, s.connectMs]),
		),
	);
	parts.push(`### Ours (${OURS}) against the baselines`);
	parts.push(
		table(
			['baseline', 'at msg/s', 'p50 ours/baseline', 'p99 ours/baseline', 'sustained rate ours/baseline'],
			(result['ratios'] as ReturnType<typeof ratios>).map((r) => [r.baseline, r.atRate, r.p50Ratio, r.p99Ratio, r.sustainedRateRatio]),
		),
	);
}
