import type { Server, Socket } from 'socket.io';
import type { z } from 'zod';
import type { ReadMarker } from '../community/chat.js';
import type { SocketIdentity } from './auth.js';
import type {
	AckCallback,
	AuthRefresh,
	GroupRef,
	MessageDelete,
	MessageEdit,
	MessageReport,
	MessageSend,
	MessageSync,
	ReceiptRead,
	WireMessage,
	WireNotification,
} from './events.js';

/**
 * The socket protocol as types (docs/realtime.md): what clients send, with the schema of each payload and the
 * data of its ack, and what the server sends. Payloads are typed as clients should send them; the handlers
 * parse them with the same schemas before anything runs, since a client may send anything.
 */

type Request<Schema extends z.ZodTypeAny, Data> = (payload: z.input<Schema>, ack: AckCallback<Data>) => void;

export interface JoinedGroup {
	group: number;
	member: { role: string; status: string };
	/** Who is online in the group, at most COMMUNITY_PRESENCE_LIST_MAX of them; `online_count` counts all. */
	presence: string[];
	online_count: number;
	marker: ReadMarker;
}

export interface SyncPage {
	group: number;
	messages: WireMessage[];
	has_more: boolean;
	cursor: number;
}

export interface ClientToServerEvents {
	'auth:refresh': Request<typeof AuthRefresh, { expires_at: string }>;
	'group:join': Request<typeof GroupRef, JoinedGroup>;
	'group:leave': Request<typeof GroupRef, { group: number }>;
	'message:send': Request<typeof MessageSend, WireMessage>;
	'message:edit': Request<typeof MessageEdit, WireMessage>;
	'message:delete': Request<typeof MessageDelete, WireMessage>;
	'message:sync': Request<typeof MessageSync, SyncPage>;
	'message:report': Request<typeof MessageReport, { id: number; message: number; reason: string; status: string }>;
	'typing:start': Request<typeof GroupRef, { group: number; typing: boolean; expires_in?: number }>;
	'typing:stop': Request<typeof GroupRef, { group: number; typing: boolean; expires_in?: number }>;
	'presence:get': Request<typeof GroupRef, { group: number; online: string[]; online_count: number }>;
	'receipt:read': Request<typeof ReceiptRead, ReadMarker>;
}

export type ClientEvent = keyof ClientToServerEvents;

/** Who came online and who went offline in a group, coalesced over a short window (docs/realtime.md). */
export interface PresenceChange {
	group: number;
	online: string[];
	offline: string[];
}

export interface ReceiptUpdate {
	group: number;
	user: string;
	last_read_message: number | null;
	last_read_seq: number;
}

export interface ServerToClientEvents {
	'message:new': (message: WireMessage) => void;
	'message:updated': (message: WireMessage) => void;
	'message:deleted': (message: WireMessage) => void;
	'message:hidden': (message: WireMessage) => void;
	'history:changed': (change: { group: number; through_seq: number; action: 'purged' | 'anonymised' }) => void;
	presence: (change: PresenceChange) => void;
	typing: (change: { group: number; user: string; typing: boolean; expires_in?: number }) => void;
	'receipt:update': (update: ReceiptUpdate) => void;
	'notification:new': (notification: WireNotification) => void;
	'group:removed': (removal: { group: number; reason: string }) => void;
	'auth:expired': (reason: { code: 'TOKEN_EXPIRED' }) => void;
	'auth:revoked': (reason: { code: 'SESSION_ENDED' | 'USER_INACTIVE'; message: string }) => void;
	'connection:closed': (reason: { code: 'TOO_MANY_CONNECTIONS'; message: string }) => void;
}

/** Between instances, through the adapter's serverSideEmit. */
export interface InterServerEvents {
	'community:revoke': (revocation: { group: number; user: string }) => void;
	'community:user-revoked': (revocation: { user: string }) => void;
}

/** Other instances read it through fetchSockets, as JSON: nothing circular (timers live beside it). */
export interface SocketData {
	identity: SocketIdentity;
	/** The client's address (X-Forwarded-For behind a trusted proxy), for the per-IP cap. */
	address: string;
	/** When the socket connected (epoch ms): the oldest go first beyond the caps. */
	issued: number;
	groups: Set<number>;
}

export type CommunityIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type CommunitySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export const groupRoom = (group: number | string) => `group:${group}`;
export const userRoom = (user: string) => `user:${user}`;
