import type { Knex } from 'knex';
import { LIMITS } from '../domain/limits.js';
import {
	AuthenticationRequiredError,
	ChatDisabledError,
	ForbiddenError,
	InvalidPayloadError,
	InvalidReferenceError,
	InvalidStateError,
	NotOwnerError,
	SlowModeError,
} from '../errors/index.js';
import { callerOf, personWriting, singleKey } from './caller.js';
import { nowIso, timeOf } from './clock.js';
import { assertCanWrite, assertModerator, facts, flag, type MessageRow } from './facts.js';
import { parseId, parseInput, withoutSelfReference } from './parse-input.js';
import { requireBody, type RuleContext } from './post-rules.js';
import { MessageCreateInput, MessageUpdateInput } from './schemas.js';
import { loadVisibleGroup, loadVisibleMessage, seesMessage } from './visibility.js';

/**
 * The next `seq` of a group, taken in the inserting transaction: the UPDATE locks the group's row until
 * commit, so within a group commit order is seq order and a cursor on seq never skips a late commit.
 */
export async function takeNextSeq(trx: Knex, groupId: number): Promise<number> {
	const updated = await trx('community_groups').where({ id: groupId }).increment('last_seq', 1);
	if (!updated) throw new ForbiddenError();
	const row = await trx('community_groups').select('last_seq').where({ id: groupId }).first();
	return Number(row.last_seq);
}

/** A message others may reply to: neither deleted nor hidden pending review. */
const takesReplies = (message: Pick<MessageRow, 'deleted_at' | 'hidden_at'>): boolean => !message.deleted_at && !message.hidden_at;

/** Seconds still to wait under slow mode, 0 when the caller may send. */
export function slowModeWait(lastSentAt: number | null, slowModeSeconds: number, now: number): number {
	if (!slowModeSeconds || lastSentAt === null) return 0;
	const waitMs = lastSentAt + slowModeSeconds * 1000 - now;
	return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
}

/**
 * Sending a chat message. Members: sender is the caller; an active, unmuted member of an active group with
 * chat on; slow mode for students (checked after the group lock, so parallel sends cannot slip through);
 * `reply_to` in the same group. Everyone, admins and the system too, gets the message's `seq` here.
 */
export async function handleMessageCreate(
	payload: Record<string, unknown>,
	{ database: trx, accountability }: RuleContext,
): Promise<Record<string, unknown>> {
	const caller = callerOf(accountability);
	if (caller.kind === 'anonymous') throw new AuthenticationRequiredError();
	if (caller.kind !== 'user') {
		const groupId = parseId(payload['group'], 'group');
		const message: Record<string, unknown> = {
			...payload,
			body: requireBody(payload['body'], LIMITS.messageBody),
			seq: await takeNextSeq(trx, groupId),
		};
		if (!message['sender'] && caller.kind === 'admin') message['sender'] = caller.userId;
		return message;
	}

	const input = parseInput(MessageCreateInput, withoutSelfReference(payload, 'sender', caller.userId));
	const context = await loadVisibleGroup(trx, input.group, caller.userId, false);
	assertCanWrite(context);
	if (!flag(context.group.chat_enabled)) throw new ChatDisabledError();
	const body = requireBody(input.body, LIMITS.messageBody);
	if (input.reply_to) {
		const original = await facts.message(trx, input.reply_to);
		// Deleted and hidden messages take no replies, not even from their sender or moderators: answered as missing ones.
		if (!original || original.group !== input.group || !seesMessage(context, original, caller.userId) || !takesReplies(original))
			throw new InvalidReferenceError({ reason: 'reply_to: must be a message of the same group' });
	}

	const seq = await takeNextSeq(trx, input.group);
	if (!context.moderator && context.group.slow_mode_seconds > 0) {
		const last = await trx('community_messages')
			.select('date_created')
			.where({ group: input.group, sender: caller.userId })
			.orderBy('seq', 'desc')
			.first();
		const wait = slowModeWait(timeOf(last?.date_created), context.group.slow_mode_seconds, Date.now());
		if (wait > 0) throw new SlowModeError({ retry_after: wait });
	}

	return { group: input.group, body, reply_to: input.reply_to ?? null, client_id: input.client_id ?? null, sender: caller.userId, seq };
}

/**
 * Changing a message: its sender edits the body (`edited_at`); the sender or a group moderator deletes it
 * softly: the row stays (threads and cursors stay intact), the body is emptied, `deleted_at` is set.
 */
export async function handleMessageUpdate(
	payload: Record<string, unknown>,
	keys: Array<string | number>,
	{ database: trx, accountability }: RuleContext,
): Promise<Record<string, unknown>> {
	const userId = personWriting(accountability);
	if (userId === null) {
		const update = { ...payload };
		if ('deleted_at' in update && update['deleted_at'] !== null) Object.assign(update, { deleted_at: nowIso(), body: '' });
		else if (update['body'] !== undefined) update['body'] = requireBody(update['body'], LIMITS.messageBody);
		return update;
	}
	const { row: message, context } = await loadVisibleMessage(trx, singleKey(keys, 'message'), userId, false);
	const input = parseInput(MessageUpdateInput, payload);
	if (message.deleted_at) throw new InvalidStateError({ reason: 'This message is deleted.' });
	const isSender = message.sender === userId;

	if (input.deleted_at !== undefined && input.deleted_at !== null) {
		if (!isSender) assertModerator(context);
		return { deleted_at: nowIso(), body: '' };
	}
	if (input.body === undefined) throw new InvalidPayloadError({ reason: 'nothing to change' });
	if (!isSender) throw new NotOwnerError();
	assertCanWrite(context);
	return { body: requireBody(input.body, LIMITS.messageBody), edited_at: nowIso() };
}
