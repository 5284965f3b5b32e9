import type { Server, Socket } from 'socket.io';
import type { z } from 'zod';
import type { ReadMarker } from '../community/chat.js';
import type { QueueChange } from '../community/moderation-feed.js';
import type { SocketIdentity } from './auth.js';
import type {
	AckCallback,
	AuthRefresh,
	GroupRef,
	MessageDelete,
	MessageEdit,
	MessageReaction,
	MessageReport,
	MessageSend,
	MessageSync,
	MarkerUnread,
	ModerationSubscribe,
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

/** `message:sync` by `since`: every message changed after the cursor, in change order, each once as it is now. */
export interface ChangesPage {
	group: number;
	messages: WireMessage[];
	has_more: boolean;
	change_cursor: number;
}

/** A message's reactions at its change number `change_seq` (the ack adds the caller's own emoji). */
export interface MessageReactions {
	group: number;
	message: number;
	change_seq: number;
	reactions: Record<string, number>;
	my_reactions?: string[];
}

export interface ClientToServerEvents {
	'auth:refresh': Request<typeof AuthRefresh, { expires_at: string }>;
	'group:join': Request<typeof GroupRef, JoinedGroup>;
	'group:leave': Request<typeof GroupRef, { group: number }>;
	'message:send': Request<typeof MessageSend, WireMessage>;
	'message:edit': Request<typeof MessageEdit, WireMessage>;
	'message:delete': Request<typeof MessageDelete, WireMessage>;
	'message:sync': Request<typeof MessageSync, SyncPage | ChangesPage>;
	'reaction:add': Request<typeof MessageReaction, MessageReactions>;
	'reaction:remove': Request<typeof MessageReaction, MessageReactions>;
	'message:report': Request<typeof MessageReport, { id: number; message: number; reason: string; status: string }>;
	'typing:start': Request<typeof GroupRef, { group: number; typing: boolean; expires_in?: number }>;
	'typing:stop': Request<typeof GroupRef, { group: number; typing: boolean; expires_in?: number }>;
	'presence:get': Request<typeof GroupRef, { group: number; online: string[]; online_count: number }>;
	'receipt:read': Request<typeof ReceiptRead, ReadMarker>;
	'marker:unread': Request<typeof MarkerUnread, ReadMarker>;
	'moderation:subscribe': Request<typeof ModerationSubscribe, { groups: number[] }>;
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
	'message:reactions': (state: MessageReactions) => void;
	'history:changed': (change: { group: number; through_seq: number; action: 'purged' | 'anonymised' }) => void;
	presence: (change: PresenceChange) => void;
	typing: (change: { group: number; user: string; typing: boolean; expires_in?: number }) => void;
	'receipt:update': (update: ReceiptUpdate) => void;
	/** The member's own marker and unread count, to all their devices, after a read or a "mark unread". */
	'marker:update': (marker: ReadMarker) => void;
	/** A moderation queue changed (a hint to reload it), to the group's moderators who subscribed. */
	'moderation:queue': (change: QueueChange) => void;
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
/** A moderator's subscribed sockets; which groups they moderate is decided per change (bus.ts). */
export const moderatorRoom = (user: string) => `moderation:${user}`;
/** Admins' subscribed sockets: they moderate every group. */
export const MODERATION_ADMINS_ROOM = 'moderation:admins';
