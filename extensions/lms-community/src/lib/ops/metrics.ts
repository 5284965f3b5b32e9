import type { WriteKind } from '../limits/write-limits.js';
import { useRealtime } from '../realtime/use-realtime.js';
import { Counter, Gauge, Histogram, renderAll, type Metric } from './prometheus.js';

/** What the gauges read from this process's socket server at scrape time. */
export interface SocketCensus {
	sockets: number;
	joinedRooms: number;
}

/** Sockets of the default namespace and the groups each has joined (`socket.data.groups`). */
export function countSockets(sockets: Iterable<{ data?: { groups?: { size: number } } }>): SocketCensus {
	let count = 0;
	let joinedRooms = 0;
	for (const socket of sockets) {
		count += 1;
		joinedRooms += socket.data?.groups?.size ?? 0;
	}
	return { sockets: count, joinedRooms };
}

function censusOfThisInstance(): SocketCensus {
	const io = useRealtime()?.io;
	return io ? countSockets(io.of('/').sockets.values()) : { sockets: 0, joinedRooms: 0 };
}

/** From a fast local send (a few ms) to one that waits on a busy group's row lock. */
const SEND_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The bundle's metrics of this process (each replica is scraped on its own, never through the balancer). The
 * realtime code reports sends, deliveries and adapter errors; the write limits report refusals; the hook counts
 * stored messages. docs/operations.md lists every series.
 */
export class CommunityMetrics {
	private readonly sends = new Counter(
		'community_socket_sends_total',
		'Chat messages accepted over the socket (message:send acknowledged).',
	);
	private readonly sendSeconds = new Histogram(
		'community_socket_send_duration_seconds',
		'From receiving message:send to its acknowledgement, in seconds.',
		SEND_SECONDS_BUCKETS,
	);
	private readonly deliveries = new Counter(
		'community_socket_deliveries_total',
		'Events this instance delivered to its own sockets for new messages (one per receiving socket).',
	);
	private readonly stored = new Counter(
		'community_messages_stored_total',
		'Chat messages stored by this instance, whatever the path (socket, REST, GraphQL, imports).',
	);
	private readonly refusals = new Counter('community_rate_limit_refusals_total', 'Writes refused by a per-user budget, by kind.');
	private readonly adapterErrors = new Counter(
		'community_redis_adapter_errors_total',
		'Errors of the Socket.IO Redis adapter (broadcasts to other instances that failed).',
	);
	private readonly all: Metric[];

	constructor(census: () => SocketCensus = censusOfThisInstance) {
		this.all = [
			new Gauge('community_socket_connections', 'Live sockets on this instance.', () => [{ value: census().sockets }]),
			new Gauge('community_socket_joined_rooms', 'Group rooms joined by the live sockets of this instance (summed over sockets).', () => [
				{ value: census().joinedRooms },
			]),
			this.sends,
			this.sendSeconds,
			this.deliveries,
			this.stored,
			this.refusals,
			this.adapterErrors,
		];
	}

	sendAccepted(durationSeconds: number): void {
		this.sends.inc();
		this.sendSeconds.observe(durationSeconds);
	}

	delivered(count: number): void {
		this.deliveries.inc({}, count);
	}

	messageStored(): void {
		this.stored.inc();
	}

	rateLimitRefused(kind: WriteKind): void {
		this.refusals.inc({ kind });
	}

	adapterError(): void {
		this.adapterErrors.inc();
	}

	render(): string {
		return renderAll(this.all);
	}
}

/** The one instance the hook, the endpoint and the realtime code share (one process, one set of metrics). */
export const communityMetrics = new CommunityMetrics();
