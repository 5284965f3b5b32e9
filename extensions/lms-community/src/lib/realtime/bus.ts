import type { Knex } from 'knex';
import type { ReadMarker } from '../community/chat.js';
import { queueModeratorsOfAsSystem } from '../community/moderation.js';
import type { QueueChange } from '../community/moderation-feed.js';
import { readReactionStateAsSystem } from '../community/message-reactions.js';
import type { Revocations } from './revocation.js';
import { groupRoom, moderatorRoom, MODERATION_ADMINS_ROOM, userRoom, type CommunityIo } from './types.js';
import { toWireMessage, toWireNotification } from './wire.js';

/**
 * What the community tells connected clients, whichever path made the change: the socket's handlers, REST
 * endpoints, Directus's items (the admin app, Flows) through the hook's actions, retention. One implementation
 * on Socket.IO (and through its adapter, every instance); handlers get it injected, so tests can use a fake.
 */
export interface CommunityBus {
	/** A new message, as stored (the row serves the broadcast: no re-read). */
	messageCreated(row: object): void;
	/** A message edited, deleted or hidden: read once and broadcast as it is now. */
	messageChanged(id: number | string): Promise<void>;
	/** A message's reactions changed: its counts at its change number, read in one statement, to the group. */
	reactionsChanged(message: number): Promise<void>;
	/** A notification, as stored, to its recipient's sockets. */
	notificationStored(row: Record<string, unknown>): void;
	/** A notification by id (created through Directus's items): read once, then as notificationStored. */
	notificationCreated(id: number | string): Promise<void>;
	receiptUpdated(marker: ReadMarker, user: string): void;
	/** A member's own marker moved (read or marked unread): their devices update their unread counts. */
	markerUpdated(marker: ReadMarker, user: string): void;
	/** Moderation queues changed: each change goes to its group's moderators and the admins who subscribed. */
	moderationQueueChanged(changes: QueueChange[]): Promise<void>;
	/** Retention purged or anonymised a group's messages up to `throughSeq`: clients drop their copies and sync again. */
	historyChanged(group: number, throughSeq: number, action: 'purged' | 'anonymised'): void;
	/** Users suspended, archived or deleted: their sockets end at once on every instance (`auth:revoked`). */
	usersRevoked(ids: Array<string | number>): Promise<void>;
	/** Members whose status was just written as `status`: anything but active/muted revokes their sockets. */
	membershipsChanged(ids: Array<number | string>, status: string): Promise<void>;
	/** Memberships that are gone (an account deleted, a person's data erased): their sockets leave at once. */
	membershipsRemoved(rows: Array<{ group: number; user: string }>, reason: string): Promise<void>;
}

/** Told how many of this instance's sockets a broadcast reached (the deliveries metric). */
export type DeliveryCounter = (count: number) => void;

export function createSocketBus(io: CommunityIo, knex: Knex, revocations: Revocations, delivered: DeliveryCounter): CommunityBus {
	const bus: CommunityBus = {
		messageCreated(row) {
			const message = toWireMessage(row as Record<string, unknown>);
			const room = groupRoom(message.group);
			io.to(room).emit('message:new', message);
			delivered(io.sockets.adapter.rooms.get(room)?.size ?? 0);
		},
		async messageChanged(id) {
			const row = await knex('community_messages').where({ id }).first();
			if (!row) return;
			const event = row.deleted_at ? 'message:deleted' : row.hidden_at ? 'message:hidden' : 'message:updated';
			io.to(groupRoom(row.group)).emit(event, toWireMessage(row, false));
		},
		async reactionsChanged(message) {
			const state = await readReactionStateAsSystem(knex, message);
			// A deleted or hidden message shows no reactions: its tombstone went out with its own event.
			if (!state || state.concealed) return;
			const { concealed: _concealed, ...reactions } = state;
			io.to(groupRoom(state.group)).emit('message:reactions', reactions);
		},
		notificationStored(row) {
			io.to(userRoom(String(row['recipient']))).emit('notification:new', toWireNotification(row));
		},
		async notificationCreated(id) {
			const row = await knex('community_notifications').where({ id }).first();
			if (row) bus.notificationStored(row);
		},
		receiptUpdated(marker, user) {
			io.to(groupRoom(marker.group)).emit('receipt:update', {
				group: marker.group,
				user,
				last_read_message: marker.last_read_message,
				last_read_seq: marker.last_read_seq,
			});
		},
		markerUpdated(marker, user) {
			io.to(userRoom(user)).emit('marker:update', marker);
		},
		async moderationQueueChanged(changes) {
			for (const change of changes) {
				// Who moderates is read now, not at subscription: a moderator demoted or removed since hears nothing more.
				const moderators = await queueModeratorsOfAsSystem(knex, change.group);
				io.to([MODERATION_ADMINS_ROOM, ...moderators.map(moderatorRoom)]).emit('moderation:queue', change);
			}
		},
		historyChanged(group, throughSeq, action) {
			io.to(groupRoom(group)).emit('history:changed', { group, through_seq: throughSeq, action });
		},
		async usersRevoked(ids) {
			for (const id of ids) await revocations.userEnded(String(id));
		},
		async membershipsChanged(ids, status) {
			// The status comes from the write itself: the write may still be inside its transaction
			// (an enrollment change moves memberships in the enrollment's transaction), invisible to a read.
			if (status === 'active' || status === 'muted') return;
			const rows: Array<{ group: number; user: string }> = await knex('community_members').select('group', 'user').whereIn('id', ids);
			await bus.membershipsRemoved(rows, status);
		},
		async membershipsRemoved(rows, reason) {
			for (const row of rows) await revocations.membershipEnded(row.group, row.user, reason);
		},
	};
	return bus;
}
