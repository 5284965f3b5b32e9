import { timeOf } from '../rules/clock.js';
import type { WireMessage, WireNotification } from './events.js';

/** Every driver's timestamp (Date, ISO or SQL string, SQLite's epoch ms) as an ISO string. */
const isoTime = (value: unknown): string | null => {
	const time = timeOf(value);
	return time === null ? null : new Date(time).toISOString();
};
const optionalNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * A message row as clients get it: numbers for ids and seq on every database. A hidden message keeps its
 * place in the sequence but loses its body, unless `revealHidden` (its sender, the group's moderators).
 */
export function toWireMessage(row: Record<string, any>, revealHidden = true): WireMessage {
	return {
		id: Number(row['id']),
		group: Number(row['group']),
		sender: row['sender'] ?? null,
		sender_pseudonym: row['sender_pseudonym'] ?? null,
		body: row['hidden_at'] && !revealHidden ? '' : row['body'],
		seq: Number(row['seq']),
		change_seq: Number(row['change_seq']),
		reply_to: optionalNumber(row['reply_to']),
		client_id: row['client_id'] ?? null,
		edited_at: isoTime(row['edited_at']),
		deleted_at: isoTime(row['deleted_at']),
		hidden_at: isoTime(row['hidden_at']),
		date_created: isoTime(row['date_created']),
	};
}

export function toWireNotification(row: Record<string, any>): WireNotification {
	const data = row['data'];
	return {
		...row,
		id: Number(row['id']),
		recipient: row['recipient'],
		actor: row['actor'] ?? null,
		group: optionalNumber(row['group']),
		type: row['type'],
		post: optionalNumber(row['post']),
		message: optionalNumber(row['message']),
		data: typeof data === 'string' ? JSON.parse(data) : (data ?? null),
		read_at: isoTime(row['read_at']),
		date_created: isoTime(row['date_created']),
	};
}
