import { withinEditWindow } from '../domain/course-rules.js';
import { LIMITS } from '../domain/limits.js';
import {
	AuthenticationRequiredError,
	EditWindowClosedError,
	InvalidPayloadError,
	InvalidStateError,
	NotOwnerError,
} from '../errors/index.js';
import { callerOf, personWriting, singleKey } from './caller.js';
import { nowIso } from './clock.js';
import { assertCanWrite, assertModerator } from './facts.js';
import { assertSlowModeAllows, decideSend, loadSendFacts, takeNextSeq } from './message-send.js';
import { parseId, parseInput, withoutSelfReference } from './parse-input.js';
import { requireBody, type RuleContext } from './post-rules.js';
import { MessageCreateInput, MessageUpdateInput } from './schemas.js';
import { loadVisibleMessage } from './visibility.js';

/**
 * Sending a chat message through Directus's items (REST, the admin app): the rules of message-send.ts, as
 * the socket's send path applies them. Everyone, admins and the system too, gets the message's `seq` and
 * `change_seq` here.
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
			...(await takeNextSeq(trx, groupId)),
		};
		if (!message['sender'] && caller.kind === 'admin') message['sender'] = caller.userId;
		return message;
	}

	const input = parseInput(MessageCreateInput, withoutSelfReference(payload, 'sender', caller.userId));
	const { body, slowModeSeconds } = decideSend(await loadSendFacts(trx, input, caller.userId), input, caller.userId, new Date());
	const numbers = await takeNextSeq(trx, input.group);
	await assertSlowModeAllows(trx, input.group, caller.userId, slowModeSeconds);
	return {
		group: input.group,
		body,
		reply_to: input.reply_to ?? null,
		client_id: input.client_id ?? null,
		sender: caller.userId,
		...numbers,
	};
}

/**
 * Changing a message: its sender edits the body (`edited_at`; students only within the group's edit window); the sender or a group moderator deletes it
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
	const window = context.group.edit_window_minutes;
	if (!context.moderator && !withinEditWindow(message.date_created, window, new Date()))
		throw new EditWindowClosedError({ minutes: window ?? 0 });
	return { body: requireBody(input.body, LIMITS.messageBody), edited_at: nowIso() };
}
