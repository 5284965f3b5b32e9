import type { Knex } from 'knex';
import type { ChatSent } from '../../community/chat-send.js';
import { assertCanRead } from '../../rules/facts.js';
import { loadVisibleGroup } from '../../rules/visibility.js';
import type { WriteLimits } from '../../limits/write-limits.js';
import type { SocketIdentity } from '../auth.js';
import { MessageDelete, MessageEdit, MessageReport, MessageSend, MessageSync, type WireMessage } from '../events.js';
import { toWireMessage } from '../wire.js';
import { reactionsOfAsSystem } from '../../community/message-reactions.js';
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

/**
 * Each message of a change page as it is now, reactions included; a tombstone (deleted, or hidden from this
 * reader, its body emptied) carries none.
 */
async function withReactions(knex: Knex, page: WireMessage[], shown: Set<number>, userId: string): Promise<WireMessage[]> {
	const counted = await reactionsOfAsSystem(knex, [...shown], userId);
	return page.map((message) => {
		const found = shown.has(message.id) ? counted.get(message.id) : undefined;
		return { ...message, reactions: found?.reactions ?? {}, my_reactions: found?.mine ?? [] };
	});
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
			const { group, after, since, limit } = MessageSync.parse(payload);
			const { userId, accountability } = socket.data.identity;
			await deps.limits.consume('sync', userId);
			const member = await loadVisibleGroup(deps.knex, group, userId, accountability.admin === true);
			assertCanRead(member);
			const pageSize = Math.min(limit, deps.syncPageMax);
			const byChange = since !== undefined;
			const rows = await deps
				.knex('community_messages')
				.where('group', group)
				.andWhere(byChange ? 'change_seq' : 'seq', '>', byChange ? since : (after ?? 0))
				.orderBy(byChange ? 'change_seq' : 'seq', 'asc')
				.limit(pageSize + 1);
			const reveals = (row: Record<string, any>) => member.moderator || row['sender'] === userId;
			const taken = rows.slice(0, pageSize);
			const page = taken.map((row) => toWireMessage(row, reveals(row)));
			const has_more = rows.length > pageSize;
			if (!byChange) return { group, messages: page, has_more, cursor: page.at(-1)?.seq ?? after ?? 0 };
			const shown = new Set(taken.filter((row) => !row.deleted_at && (!row.hidden_at || reveals(row))).map((row) => Number(row.id)));
			const messages = await withReactions(deps.knex, page, shown, userId);
			return { group, messages, has_more, change_cursor: page.at(-1)?.change_seq ?? since };
		},
		async 'message:report'(socket, payload) {
			const input = MessageReport.parse(payload);
			const report = await deps.report(socket.data.identity, input);
			return { id: Number(report.id), message: input.message, reason: input.reason, status: report.status };
		},
	};
}
