import { describe, expect, it } from 'vitest';
import { WriteLimits, DEFAULT_LIMITS } from '../limits/write-limits.js';
import { CommunityMetrics, countSockets } from './metrics.js';
import { metricsAccess } from './metrics-access.js';
import { Counter, Histogram } from './prometheus.js';

/** The value of one series in a scrape (`name` includes its labels, as written in the text format). */
const sample = (text: string, name: string) => {
	const line = text.split('\n').find((l) => l.startsWith(`${name} `));
	return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

describe('Prometheus text format', () => {
	it('writes a counter per label set, with escaped label values, and 0 before the first event', () => {
		const counter = new Counter('x_total', 'Things.');
		expect(counter.render()).toBe('# HELP x_total Things.\n# TYPE x_total counter\nx_total 0\n');
		counter.inc({ kind: 'a"b\\c\nd' });
		counter.inc({ kind: 'a"b\\c\nd' }, 2);
		counter.inc({ kind: 'post' }, -5);
		expect(counter.render()).toContain('x_total{kind="a\\"b\\\\c\\nd"} 3\n');
		expect(counter.render()).not.toContain('post');
	});

	it('writes cumulative histogram buckets, +Inf, sum and count, and ignores nonsense', () => {
		const histogram = new Histogram('h_seconds', 'Durations.', [0.1, 1]);
		for (const value of [0.05, 0.1, 0.5, 3, Number.NaN, -1]) histogram.observe(value);
		const text = histogram.render();
		expect(sample(text, 'h_seconds_bucket{le="0.1"}')).toBe(2);
		expect(sample(text, 'h_seconds_bucket{le="1"}')).toBe(3);
		expect(sample(text, 'h_seconds_bucket{le="+Inf"}')).toBe(4);
		expect(sample(text, 'h_seconds_sum')).toBeCloseTo(3.65);
		expect(sample(text, 'h_seconds_count')).toBe(4);
	});
});

describe('CommunityMetrics', () => {
	it('counts live sockets and the rooms each joined', () => {
		expect(countSockets([{ data: { groups: new Set([1, 2]) } }, { data: { groups: new Set() } }, {}])).toEqual({
			sockets: 3,
			joinedRooms: 2,
		});
	});

	it('reads the gauges at scrape time and reports what the realtime code and the limits tell it', () => {
		let census = { sockets: 2, joinedRooms: 5 };
		const metrics = new CommunityMetrics(() => census);
		metrics.sendAccepted(0.02);
		metrics.sendAccepted(0.3);
		metrics.delivered(4);
		metrics.messageStored();
		metrics.rateLimitRefused('message');
		metrics.adapterError();
		census = { sockets: 1, joinedRooms: 1 };
		const text = metrics.render();
		expect(sample(text, 'community_socket_connections')).toBe(1);
		expect(sample(text, 'community_socket_joined_rooms')).toBe(1);
		expect(sample(text, 'community_socket_sends_total')).toBe(2);
		expect(sample(text, 'community_socket_send_duration_seconds_bucket{le="0.025"}')).toBe(1);
		expect(sample(text, 'community_socket_send_duration_seconds_count')).toBe(2);
		expect(sample(text, 'community_socket_deliveries_total')).toBe(4);
		expect(sample(text, 'community_messages_stored_total')).toBe(1);
		expect(sample(text, 'community_rate_limit_refusals_total{kind="message"}')).toBe(1);
		expect(sample(text, 'community_redis_adapter_errors_total')).toBe(1);
	});

	it('a refused write counts one refusal of its kind; an accepted one none', async () => {
		const refused: string[] = [];
		const limits = new WriteLimits(
			{ ...DEFAULT_LIMITS, post: { points: 1, seconds: 60 } },
			'test:',
			{ warn: () => undefined },
			{
				rateLimitRefused: (kind) => void refused.push(kind),
			},
		);
		await limits.consume('post', 'ann');
		await expect(limits.consume('post', 'ann')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
		expect(refused).toEqual(['post']);
	});
});

describe('who may scrape /community/metrics (the rule of Directus /metrics)', () => {
	const base = { enabled: true, tokens: ['s3cret', 'other'], admin: false, authorization: undefined };
	it.each([
		[{ ...base, enabled: false, admin: true }, 'disabled'],
		[{ ...base, enabled: 'true', authorization: 'Metrics s3cret' }, 'allowed'],
		[{ ...base, authorization: 'metrics other' }, 'allowed'],
		[{ ...base, admin: true }, 'allowed'],
		[{ ...base, tokens: 's3cret, other', authorization: 'Metrics other' }, 'allowed'],
		[base, 'forbidden'],
		[{ ...base, authorization: 'Bearer s3cret' }, 'forbidden'],
		[{ ...base, authorization: 'Metrics wrong' }, 'forbidden'],
		[{ ...base, authorization: 'Metrics s3cret extra' }, 'forbidden'],
		[{ ...base, tokens: undefined, authorization: 'Metrics ' }, 'forbidden'],
	] as const)('%o → %s', (request, expected) => {
		expect(metricsAccess(request)).toBe(expected);
	});
});
