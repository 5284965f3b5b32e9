import type { Knex } from 'knex';
import { runPrepared } from '../db/prepared.js';
import { ForbiddenError } from '../errors/index.js';
import type { MessageRow } from '../rules/facts.js';
import type { Outcome } from './group-commit.js';

export type PlainMessage = { group: number; sender: string; body: string; reply_to: number | null; client_id: string; date_created: Date };
export type StoredMessage = Record<string, unknown> & MessageRow;

/**
 * A whole batch of plain sends (PostgreSQL) in one statement, so a batch costs one round trip instead of
 * three per message: each group's `seq` and change numbers are taken for all its messages at once, the group
 * rows locked in id order (as every batch does, so batches on other instances cannot deadlock with it), and
 * the rows inserted in submission order within each group, so `seq` stays gap-free and in commit order.
 * Any error (a `client_id` retried within the batch or racing another instance's send, a deadlock) fails the
 * statement as a whole, nothing written; the group commit then writes the batch one message at a time.
 */
const BATCH_INSERT = `
	WITH input AS (
		SELECT * FROM unnest($1::integer[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[])
			WITH ORDINALITY AS i("group", sender, body, reply_to, client_id, date_created, ord)
	),
	counts AS (SELECT "group", count(*) AS n FROM input GROUP BY "group"),
	bumped AS (
		UPDATE community_groups g SET last_seq = g.last_seq + c.n, last_change_seq = g.last_change_seq + c.n
		FROM (SELECT id FROM community_groups WHERE id IN (SELECT "group" FROM counts) ORDER BY id FOR UPDATE) AS locked, counts c
		WHERE g.id = locked.id AND c."group" = g.id
		RETURNING g.id, g.last_seq, g.last_change_seq, c.n
	),
	numbered AS (
		SELECT i.*, b.last_seq - b.n + row_number() OVER w AS seq, b.last_change_seq - b.n + row_number() OVER w AS change_seq
		FROM input i JOIN bumped b ON b.id = i."group"
		WINDOW w AS (PARTITION BY i."group" ORDER BY i.ord)
	)
	INSERT INTO community_messages ("group", sender, body, reply_to, client_id, seq, change_seq, date_created)
	SELECT "group", sender, body, reply_to, client_id, seq, change_seq, date_created FROM numbered ORDER BY "group", seq
	RETURNING *`;

/** The unique (sender, client_id) pair that ties a returned row to its message (PostgreSQL returns uuids lowercased). */
const keyOf = (sender: unknown, clientId: unknown) => `${String(sender).toLowerCase()}\u0000${String(clientId)}`;

export async function insertBatchInOneStatement(knex: Knex, messages: PlainMessage[]): Promise<Array<Outcome<StoredMessage>>> {
	const rows = await runPrepared<StoredMessage>(knex, BATCH_INSERT, [
		messages.map((m) => m.group),
		messages.map((m) => m.sender),
		messages.map((m) => m.body),
		messages.map((m) => m.reply_to),
		messages.map((m) => m.client_id),
		messages.map((m) => m.date_created),
	]);
	const stored = new Map(rows.map((row) => [keyOf(row['sender'], row['client_id']), row]));
	// A message without a row: its group went away after the facts were read (answered like a group that never existed).
	return messages.map((message): Outcome<StoredMessage> => {
		const row = stored.get(keyOf(message.sender, message.client_id));
		return row ? { ok: true, value: row } : { ok: false, error: new ForbiddenError() };
	});
}
