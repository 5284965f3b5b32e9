import type { Knex } from 'knex';
import { createPlainSendCommits, sendChatMessage, type ChatSent } from '../community/chat-send.js';
import { ForbiddenError } from '../errors/index.js';
import type { CoreAnnouncer } from '../community/core-events.js';
import type { WriteLimits } from '../limits/write-limits.js';
import type { SocketIdentity } from './auth.js';
import type { CommunityBus } from './bus.js';
import type { MessageSend } from './events.js';

export interface ChatSenderDeps {
	knex: Knex;
	limits: Pick<WriteLimits, 'consume'>;
	bus: Pick<CommunityBus, 'messageCreated' | 'notificationStored'>;
	announcer: CoreAnnouncer;
	/** Told how long each stored send took, commit included (the send-latency metric). */
	onStored(durationSeconds: number): void;
	/** Admins are no members: their sends take Directus's items path, where the rules let them through. */
	sendAsAdmin(identity: SocketIdentity, input: MessageSend): Promise<ChatSent>;
}

/**
 * A member's send over the socket: stored by the send path (chat-send.ts), then, once committed, broadcast
 * to the room and pushed to the mentioned from the returned rows, and announced to Directus (Flows).
 * A retry of a stored message is answered with the original and broadcast nothing.
 */
export function createChatSender(deps: ChatSenderDeps) {
	const plainSends = createPlainSendCommits(deps.knex);
	return async (identity: SocketIdentity, input: MessageSend): Promise<ChatSent> => {
		if (identity.accountability.admin) return deps.sendAsAdmin(identity, input);
		// Directus's own permission to create messages, as ItemsService would check it: refused like a missing group.
		if (!identity.sendsChat) throw new ForbiddenError();
		const started = performance.now();
		const sent = await sendChatMessage(
			{ knex: deps.knex, spend: (user) => deps.limits.consume('message', user), ...(plainSends ? { plainSends } : {}) },
			identity.userId,
			input,
		);
		if (!sent.created) return sent;
		deps.onStored((performance.now() - started) / 1000);
		deps.bus.messageCreated(sent.message);
		for (const notification of sent.notifications) deps.bus.notificationStored(notification);
		deps.announcer.created({
			collection: 'community_messages',
			rows: [{ key: sent.message.id, payload: sent.message }],
			accountability: identity.accountability,
		});
		deps.announcer.created({
			collection: 'community_notifications',
			rows: sent.notifications.map((row) => ({ key: row['id'] as number, payload: row })),
			accountability: null,
		});
		return sent;
	};
}
