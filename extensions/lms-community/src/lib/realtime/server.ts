import { randomUUID } from 'node:crypto';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { SchemaOverview } from '@directus/types';
import { Server, type Socket } from 'socket.io';
import { markRead, type ReadMarker, readMarker } from '../community/chat.js';
import type { CommunityContext } from '../community/context.js';
import { joinGroup } from '../community/membership.js';
import { createReport } from '../community/reports.js';
import { sendMessage } from '../community/send-message.js';
import { NotJoinedError } from '../errors/index.js';
import { serviceUnavailable, unavailableService } from '../errors/unavailable.js';
import type { WriteLimits } from '../limits/write-limits.js';
import { assertCanRead, type MessageRow } from '../rules/facts.js';
import { loadVisibleGroup } from '../rules/visibility.js';
import { acknowledged, type ErrorLogger } from './ack.js';
import { decideRevocations, loadAccessFacts, type WatchedSocket } from './access-watch.js';
import { clientAddress, socketsOverCap } from './socket-caps.js';
import { SocketAuthError, verifySocketToken, type SocketIdentity } from './auth.js';
import type { RealtimeConfig } from './config.js';
import {
	AuthRefresh,
	GroupRef,
	MessageDelete,
	MessageEdit,
	MessageReport,
	MessageSend,
	MessageSync,
	ReceiptRead,
	type WireMessage,
} from './events.js';
import { MemoryPresence, RedisPresence, type PresenceStore } from './presence.js';
import { connectSocketRedis, type SocketRedis } from './redis.js';

export interface RealtimeDeps {
	context: CommunityContext;
	secret: string;
	config: RealtimeConfig;
	/** Per-user budgets shared with REST (the socket attaches Redis to them when it has it). */
	limits: WriteLimits;
	logger: ErrorLogger & { info(message: string): void; warn(error: unknown, message?: string): void };
}

/** Other instances read it through fetchSockets, as JSON: nothing circular (timers live beside it). */
interface SocketData {
	identity: SocketIdentity;
	/** The client's address (X-Forwarded-For behind a trusted proxy), for the per-IP cap. */
	address: string;
	groups: Set<number>;
}

type CommunitySocket = Socket<
	Record<string, (...args: any[]) => void>,
	Record<string, (...args: any[]) => void>,
	Record<string, (...args: any[]) => void>,
	SocketData
>;

const groupRoom = (group: number | string) => `group:${group}`;
const userRoom = (user: string) => `user:${user}`;

/**
 * A message row as clients get it: numbers for ids and seq on every database. A hidden message keeps its
 * place in the sequence but loses its body, unless `revealHidden` (its sender, the group's moderators).
 */
export function toWireMessage(row: Record<string, any>, revealHidden = true): WireMessage {
	const time = (value: unknown) =>
		value === null || value === undefined ? null : value instanceof Date ? value.toISOString() : String(value);
	return {
		id: Number(row['id']),
		group: Number(row['group']),
		sender: row['sender'] ?? null,
		sender_pseudonym: row['sender_pseudonym'] ?? null,
		body: row['hidden_at'] && !revealHidden ? '' : row['body'],
		seq: Number(row['seq']),
		reply_to: row['reply_to'] === null || row['reply_to'] === undefined ? null : Number(row['reply_to']),
		client_id: row['client_id'] ?? null,
		edited_at: time(row['edited_at']),
		deleted_at: time(row['deleted_at']),
		hidden_at: time(row['hidden_at']),
		date_created: time(row['date_created']),
	};
}

export interface RealtimeServer {
	io: Server;
	instanceId: string;
	/** Broadcasts a new message (the row as stored) to its group's room. */
	messageCreated(row: MessageRow): void;
	messageChanged(id: number | string): Promise<void>;
	notificationCreated(id: number | string): Promise<void>;
	/** Users suspended, archived or deleted: their sockets end at once on every instance (`auth:revoked`). */
	usersRevoked(ids: Array<string | number>): Promise<void>;
	/** Members whose status was just written as `status`: anything but active/muted revokes their sockets. */
	membershipsChanged(ids: Array<number | string>, status: string): Promise<void>;
	/** Memberships that are gone (an account deleted, a person's data erased): their sockets leave at once. */
	membershipsRemoved(rows: Array<{ group: number; user: string }>, reason: string): Promise<void>;
	/** Retention purged or anonymised a group's messages up to `throughSeq`: clients drop their copies and sync again. */
	historyChanged(group: number, throughSeq: number, action: 'purged' | 'anonymised'): void;
	receiptUpdated(marker: ReadMarker, user: string): void;
	close(): Promise<void>;
}

/**
 * The community's Socket.IO server on Directus's HTTP server, at its own path. Built in a factory so tests
 * can start it alone; the hook starts it on `server.start` and closes it on `server.stop`.
 */
export async function createRealtimeServer(httpServer: HttpServer, deps: RealtimeDeps): Promise<RealtimeServer> {
	const { context, config, logger } = deps;
	const knex = context.database;
	const instanceId = randomUUID();

	const io = new Server<any, any, any, SocketData>(httpServer, {
		path: config.path,
		maxHttpBufferSize: config.maxPayloadBytes,
		// Directus's own /websocket shares this HTTP server: leave upgrades for other paths alone.
		destroyUpgrade: false,
		serveClient: false,
		cors: { origin: config.origins === '*' ? true : config.origins, credentials: true },
		allowRequest: (req: IncomingMessage, callback) => callback(null, originAllowed(req.headers.origin, config.origins)),
	});

	let redis: SocketRedis | null = null;
	let presence: PresenceStore = new MemoryPresence();
	const { limits } = deps;
	if (config.redisUrl) {
		redis = await connectSocketRedis(config.redisUrl, config.redisPrefix, logger);
		io.adapter(redis.adapter);
		presence = new RedisPresence(redis.data, config.redisPrefix, instanceId, config.presenceHeartbeatMs);
		limits.useRedis(redis.data);
	}

	const emitPresence = (group: number, user: string, online: boolean) => io.to(groupRoom(group)).emit('presence', { group, user, online });
	const heartbeat = async () => {
		const changes = await presence.heartbeat();
		for (const gone of changes.offline) emitPresence(gone.group, gone.user, false);
		for (const back of changes.online) emitPresence(back.group, back.user, true);
	};
	const beat = () => heartbeat().catch((error) => logger.warn(error, 'community socket: presence heartbeat'));
	await beat();
	const heartbeatTimer = setInterval(beat, config.presenceHeartbeatMs);
	// Redis back after an outage (maybe restarted empty): the next heartbeat restores presence, so run it now.
	redis?.onReconnect(() => void beat());

	const typing = new Map<string, NodeJS.Timeout>();
	const stopTyping = (group: number, user: string, socket?: CommunitySocket) => {
		const key = `${group}:${user}`;
		const timer = typing.get(key);
		if (!timer) return;
		clearTimeout(timer);
		typing.delete(key);
		(socket ? socket.to(groupRoom(group)) : io.to(groupRoom(group))).emit('typing', { group, user, typing: false });
	};

	const schema = (): Promise<SchemaOverview> => context.getSchema();

	const expiryTimers = new WeakMap<CommunitySocket, NodeJS.Timeout>();
	const scheduleExpiry = (socket: CommunitySocket) => {
		clearTimeout(expiryTimers.get(socket));
		const delay = Math.max(0, socket.data.identity.expiresAt - Date.now());
		// setTimeout caps at ~24.8 days; longer tokens get re-checked when the timer fires.
		expiryTimers.set(
			socket,
			setTimeout(
				() => {
					if (socket.data.identity.expiresAt > Date.now()) return scheduleExpiry(socket);
					socket.emit('auth:expired', { code: 'TOKEN_EXPIRED' });
					socket.disconnect(true);
				},
				Math.min(delay, 2_147_000_000),
			),
		);
	};

	const leaveGroupRoom = async (socket: CommunitySocket, group: number) => {
		if (!socket.data.groups.delete(group)) return;
		await socket.leave(groupRoom(group));
		stopTyping(group, socket.data.identity.userId, socket);
		if (await presence.disconnect(group, socket.data.identity.userId)) emitPresence(group, socket.data.identity.userId, false);
	};

	const requireJoined = (socket: CommunitySocket, group: number) => {
		if (!socket.data.groups.has(group)) throw new NotJoinedError({ group });
	};

	/** COMMUNITY_BENCH_RELAY_ONLY: the same checks up to the database, then a broadcast of what would be stored. */
	let benchSeq = 0;
	const relayWithoutStoring = (socket: CommunitySocket, input: MessageSend): WireMessage => {
		requireJoined(socket, input.group);
		const message = toWireMessage({
			id: ++benchSeq,
			group: input.group,
			sender: socket.data.identity.userId,
			body: input.body,
			seq: benchSeq,
			reply_to: input.reply_to ?? null,
			client_id: input.client_id,
			date_created: new Date(),
		});
		io.to(groupRoom(input.group)).emit('message:new', message);
		return message;
	};

	io.use((socket, next) => {
		const ip = clientAddress(socket.handshake, config.trustProxy);
		verifySocketToken(socket.handshake.auth?.['token'], deps.secret, knex, ip).then(
			(identity) => {
				socket.data.identity = identity;
				socket.data.address = ip;
				socket.data.groups = new Set();
				next();
			},
			(error) => {
				// An outage is no verdict on the token: the client retries with the same one.
				const service = unavailableService(error);
				if (service) {
					const { message, code, extensions } = serviceUnavailable(service);
					return next(Object.assign(new Error(message), { data: { code, retry_after: extensions.retry_after } }));
				}
				const failure = error instanceof SocketAuthError ? error : new SocketAuthError('TOKEN_INVALID');
				if (!(error instanceof SocketAuthError)) logger.error(error, 'community socket: auth');
				next(Object.assign(new Error(failure.message), { data: { code: failure.code } }));
			},
		);
	});

	io.on('connection', (rawSocket) => {
		const socket = rawSocket as CommunitySocket;
		const user = () => socket.data.identity.userId;
		const accountability = () => socket.data.identity.accountability;
		void socket.join(userRoom(user()));
		scheduleExpiry(socket);
		enforceSocketCaps(socket).catch((error) => logger.warn(error, 'community socket: connection caps'));

		const on = (event: string, handler: (payload: unknown) => Promise<unknown>) =>
			socket.on(event, (payload: unknown, ack: unknown) => {
				// A client may send only an ack callback, or nothing at all.
				if (typeof payload === 'function') return acknowledged(logger, payload, () => handler(undefined));
				acknowledged(logger, ack, () => handler(payload));
			});

		on('auth:refresh', async (payload) => {
			const { token } = AuthRefresh.parse(payload);
			const identity = await verifySocketToken(token, deps.secret, knex, socket.data.address);
			if (identity.userId !== user()) throw new SocketAuthError('TOKEN_INVALID');
			socket.data.identity = identity;
			scheduleExpiry(socket);
			return { expires_at: new Date(identity.expiresAt).toISOString() };
		});

		on('group:join', async (payload) => {
			const { group } = GroupRef.parse(payload);
			await limits.consume('join', user());
			const { member } = await joinGroup(context, group, user());
			if (!socket.data.groups.has(group)) {
				socket.data.groups.add(group);
				await socket.join(groupRoom(group));
				if (await presence.connect(group, user())) socket.to(groupRoom(group)).emit('presence', { group, user: user(), online: true });
			}
			return {
				group,
				member: { role: member.role, status: member.status },
				presence: await presence.online(group),
				marker: await readMarker(knex, group, user()),
			};
		});

		on('group:leave', async (payload) => {
			const { group } = GroupRef.parse(payload);
			await leaveGroupRoom(socket, group);
			return { group };
		});

		on('message:send', async (payload) => {
			const input = MessageSend.parse(payload);
			if (config.benchRelayOnly) return relayWithoutStoring(socket, input);
			const { id } = await sendMessage(context, accountability(), await schema(), input);
			return toWireMessage(await knex('community_messages').where({ id }).first());
		});

		on('message:edit', async (payload) => {
			const { message, body } = MessageEdit.parse(payload);
			const messages = new context.services.ItemsService('community_messages', {
				schema: await schema(),
				accountability: accountability(),
			});
			await messages.updateOne(message, { body });
			return toWireMessage(await knex('community_messages').where({ id: message }).first());
		});

		on('message:delete', async (payload) => {
			const { message } = MessageDelete.parse(payload);
			const messages = new context.services.ItemsService('community_messages', {
				schema: await schema(),
				accountability: accountability(),
			});
			await messages.updateOne(message, { deleted_at: true });
			return toWireMessage(await knex('community_messages').where({ id: message }).first());
		});

		on('message:sync', async (payload) => {
			const { group, after, limit } = MessageSync.parse(payload);
			await limits.consume('sync', user());
			const member = await loadVisibleGroup(knex, group, user(), accountability().admin);
			assertCanRead(member);
			const rows = await knex('community_messages')
				.where('group', group)
				.andWhere('seq', '>', after)
				.orderBy('seq', 'asc')
				.limit(Math.min(limit, config.syncPageMax) + 1);
			const page = rows.slice(0, limit).map((row) => toWireMessage(row, member.moderator || row.sender === user()));
			return { group, messages: page, has_more: rows.length > limit, cursor: page.at(-1)?.seq ?? after };
		});

		on('message:report', async (payload) => {
			const { message, reason, note } = MessageReport.parse(payload);
			const report = await createReport(context, accountability(), { message, reason, note });
			return { id: Number(report.id), message, reason, status: report.status };
		});

		const typingEvent = (isTyping: boolean) => async (payload: unknown) => {
			const { group } = GroupRef.parse(payload);
			requireJoined(socket, group);
			if (!isTyping) {
				stopTyping(group, user(), socket);
				return { group, typing: false };
			}
			await limits.consume('typing', user());
			const key = `${group}:${user()}`;
			const wasTyping = typing.has(key);
			clearTimeout(typing.get(key));
			typing.set(
				key,
				setTimeout(() => stopTyping(group, user()), config.typingTtlMs),
			);
			if (!wasTyping) socket.to(groupRoom(group)).emit('typing', { group, user: user(), typing: true, expires_in: config.typingTtlMs });
			return { group, typing: true, expires_in: config.typingTtlMs };
		};
		on('typing:start', typingEvent(true));
		on('typing:stop', typingEvent(false));

		on('presence:get', async (payload) => {
			const { group } = GroupRef.parse(payload);
			await limits.consume('presence', user());
			requireJoined(socket, group);
			return { group, online: await presence.online(group) };
		});

		on('receipt:read', async (payload) => {
			const { group, message } = ReceiptRead.parse(payload);
			await limits.consume('read', user());
			const marker = await markRead(context, { userId: user(), admin: accountability().admin }, group, message);
			realtime.receiptUpdated(marker, user());
			return marker;
		});

		socket.on('disconnect', () => {
			clearTimeout(expiryTimers.get(socket));
			for (const group of [...socket.data.groups]) {
				leaveGroupRoom(socket, group).catch((error) => logger.warn(error, 'community socket: leaving on disconnect'));
			}
		});
	});

	// Revocation reaches sockets on every instance: each drops its own from the group and its presence.
	const revokeLocally = async (group: number, user: string) => {
		for (const remote of await io.in(userRoom(user)).local.fetchSockets()) {
			const socket = io.sockets.sockets.get(remote.id) as CommunitySocket | undefined;
			if (socket) await leaveGroupRoom(socket, group);
		}
	};
	io.on('community:revoke', ({ group, user }: { group: number; user: string }) => {
		revokeLocally(group, user).catch((error) => logger.warn(error, 'community socket: revoke'));
	});

	/** Beyond the caps the oldest connections close, with a code that says why (a newer device took over). */
	const enforceSocketCaps = async (socket: CommunitySocket) => {
		const tooMany = { code: 'TOO_MANY_CONNECTIONS', message: 'A newer connection took this one over.' };
		const sameAddress = ([...io.sockets.sockets.values()] as CommunitySocket[])
			.filter((other) => other.data.address === socket.data.address)
			.map((other) => ({ id: other.id, issued: other.handshake.issued, socket: other }));
		for (const old of socketsOverCap(sameAddress, config.socketsPerIp)) {
			old.socket.emit('connection:closed', tooMany);
			old.socket.disconnect(true);
		}
		const sameUser = (await io.in(userRoom(socket.data.identity.userId)).fetchSockets()).map((remote) => ({
			id: remote.id,
			issued: remote.handshake.issued,
			remote,
		}));
		for (const old of socketsOverCap(sameUser, config.socketsPerUser)) {
			old.remote.emit('connection:closed', tooMany);
			old.remote.disconnect(true);
		}
	};

	/** A terminal answer: the client must not reconnect with this token (docs/realtime.md). */
	const endSocket = (socket: CommunitySocket, code: 'SESSION_ENDED' | 'USER_INACTIVE') => {
		socket.emit('auth:revoked', { code, message: new SocketAuthError(code).message });
		socket.disconnect(true);
	};
	const endUserLocally = async (user: string) => {
		for (const remote of await io.in(userRoom(user)).local.fetchSockets()) {
			const socket = io.sockets.sockets.get(remote.id) as CommunitySocket | undefined;
			if (socket) endSocket(socket, 'USER_INACTIVE');
		}
	};
	io.on('community:user-revoked', ({ user }: { user: string }) => {
		endUserLocally(user).catch((error) => logger.warn(error, 'community socket: user revoke'));
	});

	// Directus has no logout hook: sessions, user status and enrollment dates are re-checked in batches.
	const recheckAccess = async () => {
		const sockets = [...io.sockets.sockets.values()] as CommunitySocket[];
		const watched: WatchedSocket[] = sockets.map((socket) => ({
			id: socket.id,
			userId: socket.data.identity.userId,
			session: socket.data.identity.session,
			groups: socket.data.identity.accountability.admin ? [] : [...socket.data.groups],
		}));
		for (const revocation of decideRevocations(watched, await loadAccessFacts(knex, watched))) {
			const socket = io.sockets.sockets.get(revocation.socketId) as CommunitySocket | undefined;
			if (!socket) continue;
			if (revocation.kind === 'socket') endSocket(socket, revocation.code);
			else {
				socket.emit('group:removed', { group: revocation.group, reason: 'expired' });
				await leaveGroupRoom(socket, revocation.group);
			}
		}
	};
	const accessTimer = setInterval(
		() => recheckAccess().catch((error) => logger.warn(error, 'community socket: access re-check')),
		config.accessRecheckMs,
	);

	const loadMessage = async (id: number | string) => knex('community_messages').where({ id }).first();

	const realtime: RealtimeServer = {
		io,
		instanceId,
		messageCreated(row) {
			io.to(groupRoom(row.group)).emit('message:new', toWireMessage(row));
		},
		async messageChanged(id) {
			const row = await loadMessage(id);
			if (!row) return;
			const event = row.deleted_at ? 'message:deleted' : row.hidden_at ? 'message:hidden' : 'message:updated';
			io.to(groupRoom(row.group)).emit(event, toWireMessage(row, false));
		},
		async notificationCreated(id) {
			const row = await knex('community_notifications').where({ id }).first();
			if (!row) return;
			io.to(userRoom(row.recipient)).emit('notification:new', {
				...row,
				id: Number(row.id),
				data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
			});
		},
		async usersRevoked(ids) {
			for (const id of ids) {
				const user = String(id);
				if (redis) io.serverSideEmit('community:user-revoked', { user });
				await endUserLocally(user);
			}
		},
		async membershipsChanged(ids, status) {
			// The status comes from the write itself: the write may still be inside its transaction
			// (an enrollment change moves memberships in the enrollment's transaction), invisible to a read.
			if (status === 'active' || status === 'muted') return;
			const rows: Array<{ group: number; user: string }> = await knex('community_members').select('group', 'user').whereIn('id', ids);
			await realtime.membershipsRemoved(rows, status);
		},
		async membershipsRemoved(rows, reason) {
			for (const row of rows) {
				io.to(userRoom(row.user)).emit('group:removed', { group: row.group, reason });
				// Other instances drop their own sockets; the in-memory adapter has no others (and no serverSideEmit).
				if (redis) io.serverSideEmit('community:revoke', { group: row.group, user: row.user });
				await revokeLocally(row.group, row.user);
			}
		},
		historyChanged(group, throughSeq, action) {
			io.to(groupRoom(group)).emit('history:changed', { group, through_seq: throughSeq, action });
		},
		receiptUpdated(marker, user) {
			io.to(groupRoom(marker.group)).emit('receipt:update', {
				group: marker.group,
				user,
				last_read_message: marker.last_read_message,
				last_read_seq: marker.last_read_seq,
			});
		},
		async close() {
			clearInterval(heartbeatTimer);
			clearInterval(accessTimer);
			for (const timer of typing.values()) clearTimeout(timer);
			typing.clear();
			await new Promise<void>((resolve) => io.close(() => resolve()));
			await presence.close().catch((error) => logger.warn(error, 'community socket: presence close'));
			await redis?.close();
		},
	};
	return realtime;
}

/** Browsers send Origin; native apps usually do not, and are let in (their token is what counts). */
export function originAllowed(origin: string | undefined, allowed: string[] | '*'): boolean {
	if (!origin || allowed === '*') return true;
	return allowed.includes(origin);
}
