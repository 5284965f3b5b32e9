import { createAdapter, createShardedAdapter, type RedisAdapter } from '@socket.io/redis-adapter';
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';
import { createClient, type RedisClientOptions, type RedisClientType } from 'redis';

interface Logger {
	warn(error: unknown, message?: string): void;
	info(message: string): void;
}

/** The socket server's Redis: three connections that ride out outages and restarts without ending the process. */
export interface SocketRedis {
	/** Presence and rate limits: commands fail fast while Redis is away instead of queueing behind it. */
	data: RedisClientType;
	/** The Socket.IO adapter over the pub and sub connections (`io.adapter(...)`). */
	adapter: (nsp: unknown) => unknown;
	/** Calls `listener` each time the data connection is back after losing Redis. */
	onReconnect(listener: () => void): void;
	/** Quits the connections that are up, drops the ones still trying to reconnect. */
	close(): Promise<void>;
}

/** Broadcasts queued while Redis is away are sent when it is back; beyond this many the newest are dropped. */
const PUB_QUEUE_MAX = 10_000;

/**
 * How broadcasts travel between instances (COMMUNITY_REDIS_ADAPTER; docs/scaling.md compares them):
 * `pubsub` (classic PUBLISH/SUBSCRIBE), `sharded` (SPUBLISH/SSUBSCRIBE, Redis 7+, spreads over a Cluster's
 * shards), `streams` (XADD/XREAD: an instance cut off from Redis for a moment reads what it missed).
 */
export type RedisAdapterKind = 'pubsub' | 'sharded' | 'streams';

export async function connectSocketRedis(
	/** Where and how to connect (redis/sentinel-relay.ts). */
	connection: RedisClientOptions,
	prefix: string,
	logger: Logger,
	kind: RedisAdapterKind = 'pubsub',
	/** Told of each failure of the adapter's Redis traffic (the adapter-errors metric). */
	onAdapterError: () => void = () => undefined,
): Promise<SocketRedis> {
	const pub = createClient({ ...connection, commandsQueueMaxLength: PUB_QUEUE_MAX }) as RedisClientType;
	const clients = { pub, sub: pub.duplicate() as RedisClientType, data: pub.duplicate({ disableOfflineQueue: true }) as RedisClientType };
	for (const [name, client] of Object.entries(clients)) logOutages(client, name, logger);
	// The adapter publishes and (un)subscribes without awaiting: a command cut off by a restart must not go unhandled.
	const counted = { warn: (error: unknown, message?: string) => (onAdapterError(), logger.warn(error, message)) };
	catchUnawaited(clients.pub, ['publish', 'sPublish'], 'pub', counted);
	catchUnawaited(clients.sub, ['subscribe', 'pSubscribe', 'unsubscribe', 'pUnsubscribe', 'sSubscribe', 'sUnsubscribe'], 'sub', counted);
	await Promise.all(Object.values(clients).map((client) => client.connect()));

	const channel = `${prefix}socket.io`;
	const adapter =
		kind === 'sharded'
			? createShardedAdapter(clients.pub, clients.sub, { channelPrefix: channel })
			: kind === 'streams'
				? createStreamsAdapter(clients.pub, { streamName: channel, channelPrefix: channel, onlyPlaintext: true })
				: null;
	const pubsub = adapter ? null : createAdapter(clients.pub, clients.sub, { key: channel });
	return {
		data: clients.data,
		// A function, not an arrow: Socket.IO calls it with `new`.
		adapter: pubsub
			? function guardedAdapter(nsp) {
					return guardAdapter(pubsub(nsp), counted);
				}
			: adapter!,
		onReconnect(listener) {
			// Registered after the first connect, so only reconnections call it.
			clients.data.on('ready', listener);
		},
		async close() {
			await Promise.all(
				Object.entries(clients).map(([name, client]) =>
					(client.isReady ? client.quit() : client.disconnect()).catch((error: unknown) =>
						logger.warn(error, `community socket: redis (${name}) close`),
					),
				),
			);
		},
	};
}

/** node-redis reconnects by itself and reports every failed attempt: one warning per outage, and one line when it ends. */
function logOutages(client: RedisClientType, name: string, logger: Logger): void {
	let down = false;
	// Without an error listener, node-redis's error event would end the process.
	client.on('error', (error: unknown) => {
		if (!down) logger.warn(error, `community socket: redis (${name}) unreachable, reconnecting`);
		down = true;
	});
	client.on('ready', () => {
		if (down) logger.info(`community socket: redis (${name}) is back`);
		down = false;
	});
}

/** Replaces `methods` of `client` with versions whose rejections are logged (outages are already logged once). */
export function catchUnawaited(client: object, methods: string[], name: string, logger: Pick<Logger, 'warn'>): void {
	const target = client as Record<string, (...args: unknown[]) => Promise<unknown>>;
	for (const method of methods) {
		if (typeof target[method] !== 'function') continue;
		const original = target[method].bind(client);
		target[method] = (...args) =>
			original(...args).catch((error: unknown) => {
				if ((client as { isReady?: boolean }).isReady) logger.warn(error, `community socket: redis (${name}) ${method}`);
			});
	}
}

/**
 * The adapter handles other instances' requests and broadcasts in code nobody awaits (a request is answered
 * with async work, a broadcast decoded inside node-redis's reply handler): a failure there is logged instead of
 * ending the process. Relies on the adapter calling its own `onrequest`/`onmessage` (@socket.io/redis-adapter 8).
 */
export function guardAdapter(adapter: RedisAdapter, logger: Pick<Logger, 'warn'>): RedisAdapter {
	const internals = adapter as unknown as Record<'onrequest' | 'onmessage', (...args: unknown[]) => unknown>;
	const onrequest = internals.onrequest.bind(adapter);
	internals.onrequest = (...args) =>
		Promise.resolve()
			.then(() => onrequest(...args))
			.catch((error: unknown) => logger.warn(error, 'community socket: request from another instance'));
	const onmessage = internals.onmessage.bind(adapter);
	internals.onmessage = (...args) => {
		try {
			onmessage(...args);
		} catch (error) {
			logger.warn(error, 'community socket: broadcast from another instance');
		}
	};
	return adapter;
}
