import { z } from 'zod';
import { LIMITS } from '../domain/limits.js';
import { ClientId, Id, Seq } from '../rules/schemas.js';

/** Inbound events: every payload is parsed by the schema of the same name before anything else runs. */

export const GroupRef = z.object({ group: Id }).strict();
export type GroupRef = z.infer<typeof GroupRef>;

export const MessageSend = z
	.object({
		group: Id,
		body: z.string().max(LIMITS.messageBody * 2),
		client_id: ClientId,
		reply_to: Id.nullish(),
	})
	.strict();
export type MessageSend = z.infer<typeof MessageSend>;

export const MessageEdit = z.object({ message: Id, body: z.string().max(LIMITS.messageBody * 2) }).strict();
export type MessageEdit = z.infer<typeof MessageEdit>;

export const MessageDelete = z.object({ message: Id }).strict();
export type MessageDelete = z.infer<typeof MessageDelete>;

/** `reaction:add` / `reaction:remove`: the emoji is checked against the allowed set by the rules. */
export const MessageReaction = z.object({ message: Id, emoji: z.string().min(1).max(32) }).strict();
export type MessageReaction = z.infer<typeof MessageReaction>;

export const MessageReport = z
	.object({
		message: Id,
		reason: z.enum(['spam', 'harassment', 'off_topic', 'other']),
		note: z.string().trim().max(LIMITS.moderationNote).nullish(),
	})
	.strict();
export type MessageReport = z.infer<typeof MessageReport>;

/** `after`: messages by `seq` (new ones only); `since`: every message changed after that change cursor. */
export const MessageSync = z
	.object({ group: Id, after: Seq.optional(), since: Seq.optional(), limit: z.coerce.number().int().min(1).max(200).default(100) })
	.strict()
	.refine((sync) => sync.after === undefined || sync.since === undefined, { message: 'after and since: one or the other' });
export type MessageSync = z.infer<typeof MessageSync>;

export const ReceiptRead = z.object({ group: Id, message: Id }).strict();
export type ReceiptRead = z.infer<typeof ReceiptRead>;

/** `marker:unread`: the member's own unread marker goes back to just before `message`. */
export const MarkerUnread = z.object({ group: Id, message: Id }).strict();
export type MarkerUnread = z.infer<typeof MarkerUnread>;

/** `moderation:subscribe`: no options; the groups are the ones the caller moderates. */
export const ModerationSubscribe = z.object({}).strict().nullish();
export type ModerationSubscribe = z.infer<typeof ModerationSubscribe>;

export const AuthRefresh = z.object({ token: z.string().min(10).max(4096) }).strict();
export type AuthRefresh = z.infer<typeof AuthRefresh>;

/** The one ack shape of every client→server event. */
export type Ack<T = unknown> = { ok: true; data: T } | { ok: false; error: { code: string; message: string; retry_after?: number } };
export type AckCallback<T = unknown> = (response: Ack<T>) => void;

/** Wire form of a message (ids and seq as numbers whatever the database returns). */
export interface WireMessage {
	id: number;
	group: number;
	/** null once the sender's account is deleted or their data erased; `sender_pseudonym` names them then. */
	sender: string | null;
	sender_pseudonym: string | null;
	body: string;
	seq: number;
	/** The group's change number of the message's latest change (the change cursor of `message:sync`). */
	change_seq: number;
	reply_to: number | null;
	client_id: string | null;
	edited_at: string | null;
	deleted_at: string | null;
	/** Set while the message is hidden pending review; its body is then empty for everyone but its sender and moderators. */
	hidden_at: string | null;
	date_created: string | null;
	/** In `message:sync` by `since`: emoji → count, and the caller's own emoji (empty for a tombstone). */
	reactions?: Record<string, number>;
	my_reactions?: string[];
}

/** Wire form of a notification: the stored row, ids as numbers, `data` as an object, times as ISO strings. */
export interface WireNotification {
	id: number;
	recipient: string;
	actor: string | null;
	group: number | null;
	type: string;
	post: number | null;
	message: number | null;
	data: Record<string, unknown> | null;
	read_at: string | null;
	date_created: string | null;
	[column: string]: unknown;
}
