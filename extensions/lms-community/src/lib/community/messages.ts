import { extractMentions } from '../domain/text.js';
import type { MessageRow } from '../rules/facts.js';
import { notifyAsSystem } from '../rules/notifications.js';
import type { CommunityContext } from './context.js';

/** After a chat message is created: `message_mention` for each mentioned member of the group. */
export async function notifyForMessage(context: CommunityContext, message: MessageRow): Promise<void> {
	if (message.deleted_at) return;
	await notifyAsSystem(
		context,
		context.database,
		extractMentions(message.body).map((user) => ({
			recipient: user,
			actor: message.sender,
			group: message.group,
			type: 'message_mention' as const,
			message: message.id,
		})),
	);
}
