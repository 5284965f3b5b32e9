import { extractMentions } from '../domain/text.js';
import { facts, type MessageRow } from '../rules/facts.js';
import { notifyAsSystem, type NotificationDraft } from '../rules/notifications.js';
import type { CommunityContext } from './context.js';

/**
 * After a chat message is created: `message_mention` for each mentioned member of the group, and
 * `message_reply` for the sender of the message it replies to (notifyAsSystem drops the sender themself and
 * anyone who no longer reads the group, and applies their preference).
 */
export async function notifyForMessage(context: CommunityContext, message: MessageRow & { reply_to?: unknown }): Promise<void> {
	if (message.deleted_at) return;
	const drafts: NotificationDraft[] = extractMentions(message.body).map((user) => ({
		recipient: user,
		actor: message.sender,
		group: message.group,
		type: 'message_mention' as const,
		message: message.id,
	}));
	const replied = message.reply_to ? await facts.message(context.database, Number(message.reply_to)) : undefined;
	// A reply that mentions its replyee tells them once, by the mention (as the socket's send path does).
	if (replied?.sender && !drafts.some((draft) => draft.recipient === replied.sender))
		drafts.push({ recipient: replied.sender, actor: message.sender, group: message.group, type: 'message_reply', message: message.id });
	await notifyAsSystem(context, context.database, drafts);
}
