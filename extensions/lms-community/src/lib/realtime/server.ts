import { randomUUID } from 'node:crypto';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server } from 'socket.io';
import { markRead, markUnread, readMarker } from '../community/chat.js';
import type { ChatSent } from '../community/chat-send.js';
import type { CommunityContext } from '../community/context.js';
import type { CoreAnnouncer } from '../community/core-events.js';
import { joinGroupWithMarker } from '../community/membership.js';
import { setMessageReaction } from '../community/message-reactions.js';
import { moderatedGroups } from '../community/moderation.js';
import { createReport } from '../community/reports.js';
import { sendMessage } from '../community/send-message.js';
import type { WriteLimits } from '../limits/write-limits.js';
import { communityMetrics } from '../ops/metrics.js';
import { acknowledged, type ErrorLogger } from './ack.js';
import { overBufferCaps, type BufferedSocket } from './backpressure.js';
import { createSocketBus, type CommunityBus } from './bus.js';
import { createChatSender } from './chat-sender.js';
import type { RealtimeConfig } from './config.js';
import { loadDirectusTokenCheck } from './cookie-auth.js';
import { authenticateConnections, authHandlers, TokenExpiry, type BrowserHeaders } from './handlers/auth.js';
import { benchRelayHandlers } from './handlers/bench-relay.js';
import { groupHandlers } from './handlers/groups.js';
import type { Handlers } from './handlers/handler.js';
import { messageHandlers } from './handlers/messages.js';
import { moderationHandlers } from './handlers/moderation.js';
import { presenceHandlers } from './handlers/presence.js';
import { reactionHandlers } from './handlers/reactions.js';
import { receiptHandlers } from './handlers/receipts.js';
import { typingHandlers } from './handlers/typing.js';
import { MemoryPresence, RedisPresence, type PresenceStore } from './presence.js';
import { PresenceFeed } from './presence-feed.js';
import { redisClientOptions } from '../redis/sentinel-relay.js';
import { connectSocketRedis, type SocketRedis } from './redis.js';
import { Revocations } from './revocation.js';
import { GroupRooms } from './rooms.js';
import { clientAddress } from './socket-caps.js';
import { TypingTracker } from './typing.js';
import { userRoom, type ClientEvent, type CommunityIo, type CommunitySocket } from './types.js';

export interface RealtimeDeps {
	context: CommunityContext;
	secret: string;
	config: RealtimeConfig;
	/** Per-user budgets shared with REST (the socket attaches Redis to them when it has it). */
	limits: WriteLimits;
	/** Announces rows the send path wrote to Directus's emitter (Flows), as ItemsService would. */
	announcer: CoreAnnouncer;
	logger: ErrorLogger & { info(message: string): void; warn(error: unknown, message?: string): void };
}

export interface RealtimeServer {
	io: CommunityIo;
	instanceId: string;
	/** Broadcasts for every path that changes what clients see (bus.ts). */
	bus: CommunityBus;
	close(): Promise<void>;
}

/**
 * The community's Socket.IO server on Directus's HTTP server, at its own path: the wiring of the concerns
 * that live in their own modules (auth, groups, messages, typing, presence, receipts, revocation, the bus).
 * Built in a factory so tests can start it alone; the hook starts it on `server.start`, closes it on `server.stop`.
 */
export async function createRealtimeServer(httpServer: HttpServer, deps: RealtimeDeps): Promise<RealtimeServer> {
	const { context, config, logger, limits } = deps;
	const knex = context.database;
	const instanceId = randomUUID();

	const io: CommunityIo = new Server(httpServer, {
		path: config.path,
		maxHttpBufferSize: config.maxPayloadBytes,
		// Directus's own /websocket shares this HTTP server: leave upgrades for other paths alone.
		destroyUpgrade: false,
		serveClient: false,
		// Compression costs a zlib context per socket (hundreds of KB) for chat frames of a few hundred bytes.
		perMessageDeflate: false,
		cors: {
			origin: config.origins === '*' ? true : [...config.origins, ...(config.appOrigin ? [config.appOrigin] : [])],
			credentials: true,
		},
		// The admin app (PUBLIC_URL's origin) is always let in: its Community module listens here.
		allowRequest: (req: IncomingMessage, callback) =>
			callback(null, req.headers.origin === config.appOrigin || originAllowed(req.headers.origin, config.origins)),
	});

	// Each connection's first HTTP request would stay in memory for its lifetime: keep its address, let it go.
	// Its Origin and Cookie headers are kept only until the connection is authenticated (the admin app's cookie).
	const addresses = new WeakMap<object, string>();
	const browserHeaders = new WeakMap<object, BrowserHeaders>();
	io.engine.on('connection', (raw: { remoteAddress: string; request: IncomingMessage | null }) => {
		if (raw.request) {
			addresses.set(raw, clientAddress({ address: raw.remoteAddress, headers: raw.request.headers }, config.trustProxy));
			const { origin, cookie } = raw.request.headers;
			if (cookie) browserHeaders.set(raw, { origin, cookie });
		}
		raw.request = null;
	});
	const addressOf = (socket: CommunitySocket) => addresses.get(socket.conn) ?? socket.handshake.address;
	const takeBrowserHeaders = (socket: CommunitySocket) => {
		const headers = browserHeaders.get(socket.conn) ?? {};
		browserHeaders.delete(socket.conn);
		return headers;
	};

	let redis: SocketRedis | null = null;
	let presence: PresenceStore = new MemoryPresence();
	if (config.redis) {
		redis = await connectSocketRedis(await redisClientOptions(config.redis, logger), config.redisPrefix, logger, config.redisAdapter, () =>
			communityMetrics.adapterError(),
		);
		io.adapter(redis.adapter as Parameters<CommunityIo['adapter']>[0]);
		presence = new RedisPresence(redis.data, config.redisPrefix, instanceId, config.presenceHeartbeatMs);
		limits.useRedis(redis.data);
	}

	const feed = new PresenceFeed(io, config.presenceBatchMs);
	const typing = new TypingTracker(io, config.typingTtlMs);
	const rooms = new GroupRooms(presence, feed, typing);
	const revocations = new Revocations(io, rooms, knex, redis !== null);
	const bus = createSocketBus(io, knex, revocations, (count) => communityMetrics.delivered(count));
	const expiry = new TokenExpiry();

	const heartbeat = async () => {
		const changes = await presence.heartbeat();
		for (const gone of changes.offline) feed.changed(gone.group, gone.user, false);
		for (const back of changes.online) feed.changed(back.group, back.user, true);
	};
	const beat = () => heartbeat().catch((error) => logger.warn(error, 'community socket: presence heartbeat'));
	await beat();
	const heartbeatTimer = setInterval(beat, config.presenceHeartbeatMs);
	// Redis back after an outage (maybe restarted empty): the next heartbeat restores presence, so run it now.
	redis?.onReconnect(() => void beat());

	const schema = () => context.getSchema();
	const itemsAs = async (identity: { accountability: Parameters<typeof sendMessage>[1] }) =>
		new context.services.ItemsService('community_messages', { schema: await schema(), accountability: identity.accountability });
	const send = createChatSender({
		knex,
		limits,
		bus,
		announcer: deps.announcer,
		onStored: (seconds) => communityMetrics.sendAccepted(seconds),
		async sendAsAdmin(identity, input): Promise<ChatSent> {
			const { id, created } = await sendMessage(context, identity.accountability, await schema(), input);
			return { message: await knex('community_messages').where({ id }).first(), created, notifications: [] };
		},
	});

	const authDeps = { secret: deps.secret, knex, logger };
	const directusCheck = await loadDirectusTokenCheck();
	if (!directusCheck) logger.warn(null, "community socket: Directus's token check not found: the admin app's session cookie is refused");
	authenticateConnections(
		io,
		authDeps,
		{ cookieName: config.sessionCookieName, appOrigin: config.appOrigin, check: directusCheck, headersOf: takeBrowserHeaders },
		addressOf,
	);
	const handlers: Handlers = {
		...authHandlers(authDeps, expiry),
		...groupHandlers({
			join: (group, user) => joinGroupWithMarker(context, group, user),
			readMarker: (group, user) => readMarker(knex, group, user),
			limits,
			presence,
			rooms,
			presenceListMax: config.presenceListMax,
		}),
		...messageHandlers({
			knex,
			limits,
			send,
			async update(identity, message, change) {
				await (await itemsAs(identity)).updateOne(message, change);
			},
			report: (identity, input) => createReport(context, identity.accountability, input),
			syncPageMax: config.syncPageMax,
		}),
		...reactionHandlers({
			knex,
			limits,
			async set(identity, input, present) {
				await setMessageReaction(context, bus, identity.accountability, await schema(), input, present);
			},
		}),
		...(config.benchRelayOnly ? benchRelayHandlers(io) : {}),
		...typingHandlers({ typing, limits }),
		...presenceHandlers({ presence, limits, presenceListMax: config.presenceListMax }),
		...moderationHandlers({ moderatedGroups: (caller) => moderatedGroups(knex, caller) }),
		...receiptHandlers({
			markRead: (caller, group, message) => markRead(context, caller, group, message),
			markUnread: (caller, group, message) => markUnread(context, caller, group, message),
			limits,
			bus,
		}),
	};

	/** One listener per socket dispatches to the shared handlers; every event is acknowledged through one funnel. */
	const dispatch = (socket: CommunitySocket, event: string, args: unknown[]) => {
		const [payload, ack] = typeof args[0] === 'function' ? [undefined, args[0]] : [args[0], args[1]];
		if (!Object.hasOwn(handlers, event)) {
			if (typeof ack === 'function') ack({ ok: false, error: { code: 'UNKNOWN_EVENT', message: `There is no event "${event}".` } });
			return;
		}
		const handler = handlers[event as ClientEvent] as (socket: CommunitySocket, payload: unknown) => Promise<unknown>;
		acknowledged(logger, ack, () => handler(socket, payload));
	};

	io.on('connection', (socket) => {
		void socket.join(userRoom(socket.data.identity.userId));
		expiry.schedule(socket);
		revocations
			.enforceCaps(socket, { perIp: config.socketsPerIp, perUser: config.socketsPerUser })
			.catch((error) => logger.warn(error, 'community socket: connection caps'));
		socket.onAny((event: string, ...args: unknown[]) => dispatch(socket, event, args));
		socket.on('disconnect', () => {
			expiry.cancel(socket);
			revocations.forget(socket);
			rooms.leaveAll(socket).catch((error) => logger.warn(error, 'community socket: leaving on disconnect'));
		});
	});

	// A receiver that stopped reading is closed past its buffer caps; its client resyncs from its cursor.
	const backpressureTimer = setInterval(() => {
		for (const socket of io.sockets.sockets.values())
			if (overBufferCaps(socket as unknown as BufferedSocket, config.bufferCaps)) {
				logger.info(`community socket: closing ${socket.id}, a receiver over its buffer caps`);
				socket.disconnect(true);
			}
	}, 1_000);
	backpressureTimer.unref();

	const accessTimer = setInterval(
		() => revocations.recheck().catch((error) => logger.warn(error, 'community socket: access re-check')),
		config.accessRecheckMs,
	);

	return {
		io,
		instanceId,
		bus,
		async close() {
			clearInterval(heartbeatTimer);
			clearInterval(accessTimer);
			clearInterval(backpressureTimer);
			typing.close();
			feed.close();
			await new Promise<void>((resolve) => io.close(() => resolve()));
			await presence.close().catch((error) => logger.warn(error, 'community socket: presence close'));
			await redis?.close();
		},
	};
}

/** Browsers send Origin; native apps usually do not, and are let in (their token is what counts). */
export function originAllowed(origin: string | undefined, allowed: string[] | '*'): boolean {
	if (!origin || allowed === '*') return true;
	return allowed.includes(origin);
}
