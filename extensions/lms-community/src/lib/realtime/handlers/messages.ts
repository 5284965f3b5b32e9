import type { Knex } from 'knex';
import type { ChatSent } from '../../community/chat-send.js';
import { assertCanRead } from '../../rules/facts.js';
import { loadVisibleGroup } from '../../rules/visibility.js';
import type { WriteLimits } from '../../limits/write-limits.js';
import type { SocketIdentity } from '../auth.js';
import { MessageDelete, MessageEdit, MessageReport, MessageSend, MessageSync } from '../events.js';
import { toWireMessage } from '../wire.js';
import type { Handlers } from './handler.js';

export interface MessageDeps {
	knex: Knex;
	limits: Pick<WriteLimits, 'consume'>;
	/** Stores a message by the send path's rules, broadcasts it once committed (chat-sender.ts). */
	send(identity: SocketIdentity, input: MessageSend): Promise<ChatSent>;
	/** Edits and deletes go through Directus's items with the member's accountability (the rules run in its filters). */
	update(identity: SocketIdentity, message: number, change: { body: string } | { deleted_at: true }): Promise<void>;
	report(identity: SocketIdentity, input: MessageReport): Promise<{ id: number | string; status: string }>;
	syncPageMax: number;
}

export function messageHandlers(
	deps: MessageDeps,
): Pick<Handlers, 'message:send' | 'message:edit' | 'message:delete' | 'message:sync' | 'message:report'> {
	const stored = async (id: number) => toWireMessage(await deps.knex('community_messages').where({ id }).first());
	return {
		async 'message:send'(socket, payload) {
			const sent = await deps.send(socket.data.identity, MessageSend.parse(payload));
			return toWireMessage(sent.message);
		},
		async 'message:edit'(socket, payload) {
			const { message, body } = MessageEdit.parse(payload);
			await deps.update(socket.data.identity, message, { body });
			return stored(message);
		},
		async 'message:delete'(socket, payload) {
			const { message } = MessageDelete.parse(payload);
			await deps.update(socket.data.identity, message, { deleted_at: true });
			return stored(message);
		},
		async 'message:sync'(socket, payload) {
			const { group, after, limit } = MessageSync.parse(payload);
			const { userId, accountability } = socket.data.identity;
			await deps.limits.consume('sync', userId);
			const member = await loadVisibleGroup(deps.knex, group, userId, accountability.admin === true);
			assertCanRead(member);
			const rows = await deps
				.knex('community_messages')
				.where('group', group)
				.andWhere('seq', '>', after)
				.orderBy('seq', 'asc')
				.limit(Math.min(limit, deps.syncPageMax) + 1);
			const page = rows.slice(0, limit).map((row) => toWireMessage(row, member.moderator || row.sender === userId));
			return { group, messages: page, has_more: rows.length > limit, cursor: page.at(-1)?.seq ?? after };
		},
		async 'message:report'(socket, payload) {
			const input = MessageReport.parse(payload);
			const report = await deps.report(socket.data.identity, input);
			return { id: Number(report.id), message: input.message, reason: input.reason, status: report.status };
		},
	};
}
