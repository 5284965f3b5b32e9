import type { Knex } from 'knex';

/**
 * The outbox table, community_deliveries: one row per notification and channel (and device, for push),
 * written when the notification is created and taken by whichever instance claims it first. A claim is a
 * lease (`claimed_until`): an instance that dies mid-send leaves rows that another instance takes again once
 * the lease lapses. Every update after the claim is conditional on still holding it.
 */

const TABLE = 'community_deliveries';
const REASON_MAX = 1000;

export type DeliveryChannel = 'email' | 'push';
export type DeliveryStatus = 'pending' | 'sent' | 'skipped' | 'failed';

export interface DeliveryRow {
	id: number;
	notification: number | null;
	recipient: string;
	channel: DeliveryChannel;
	device: number | null;
	attempts: number;
}

export interface NewDelivery {
	notification: number;
	recipient: string;
	channel: DeliveryChannel;
	device: number | null;
	due_at: number;
	dedupe_key: string;
}

const isSqlite = (knex: Knex) => String(knex.client.config.client).includes('sqlite');

/** Queues deliveries; a row whose dedupe key exists already (the same notification queued twice) is ignored. */
export async function enqueueDeliveriesAsSystem(knex: Knex, rows: NewDelivery[], now: Date): Promise<void> {
	if (rows.length === 0) return;
	await knex(TABLE)
		.insert(rows.map((row) => ({ ...row, status: 'pending', attempts: 0, date_created: now.toISOString() })))
		.onConflict('dedupe_key')
		.ignore();
}

/**
 * Takes up to `limit` due deliveries for `worker` and counts the attempt. On PostgreSQL the candidates are
 * locked with FOR UPDATE SKIP LOCKED, so concurrent instances take disjoint rows without waiting for each
 * other; SQLite runs one writer at a time, and the single UPDATE … RETURNING is atomic there.
 */
export async function claimDue(knex: Knex, worker: string, now: number, limit: number, leaseSeconds: number): Promise<DeliveryRow[]> {
	return claim(knex, worker, now, leaseSeconds, 'due_at <= ?', [now], limit);
}

/**
 * The rest of these recipients' pending e-mail, due or not: once one notification has waited out the delay,
 * the e-mail carries every unread one queued by then (one e-mail, not one per notification).
 */
export async function claimPendingEmailOf(knex: Knex, worker: string, recipients: string[], now: number, leaseSeconds: number) {
	if (recipients.length === 0) return [];
	const placeholders = recipients.map(() => '?').join(', ');
	return claim(knex, worker, now, leaseSeconds, `channel = 'email' AND recipient IN (${placeholders})`, recipients, null);
}

async function claim(
	knex: Knex,
	worker: string,
	now: number,
	leaseSeconds: number,
	condition: string,
	bindings: unknown[],
	limit: number | null,
): Promise<DeliveryRow[]> {
	const lock = isSqlite(knex) ? '' : 'FOR UPDATE SKIP LOCKED';
	const result = await knex.raw(
		`UPDATE ${TABLE} SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1
		 WHERE id IN (
			SELECT id FROM ${TABLE}
			WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until < ?) AND ${condition}
			ORDER BY due_at, id ${limit === null ? '' : 'LIMIT ?'} ${lock}
		 )
		 RETURNING id, notification, recipient, channel, device, attempts`,
		[worker, now + leaseSeconds * 1000, now, ...bindings, ...(limit === null ? [] : [limit])],
	);
	const rows: Array<Record<string, unknown>> = Array.isArray(result) ? result : result.rows;
	return rows
		.map((row) => ({
			id: Number(row['id']),
			notification: row['notification'] === null ? null : Number(row['notification']),
			recipient: String(row['recipient']),
			channel: row['channel'] as DeliveryChannel,
			device: row['device'] === null ? null : Number(row['device']),
			attempts: Number(row['attempts']),
		}))
		.sort((a, b) => a.id - b.id);
}

const held = (knex: Knex, worker: string, ids: number[]) => knex(TABLE).whereIn('id', ids).andWhere('claimed_by', worker);
const reasonText = (reason: string) => reason.slice(0, REASON_MAX);

/** A row's end: its status, when (`finished_at`, from which the cleanup counts) and the claim released. */
const finished = (status: Exclude<DeliveryStatus, 'pending'>, now: Date) => ({
	status,
	finished_at: now.getTime(),
	claimed_by: null,
	claimed_until: null,
});

export async function markSent(knex: Knex, worker: string, ids: number[], ref: string | null, now: Date): Promise<void> {
	if (ids.length === 0) return;
	await held(knex, worker, ids).update({
		...finished('sent', now),
		sent_at: now.toISOString(),
		sent_ref: ref?.slice(0, 255) ?? null,
		last_error: null,
	});
}

/** Nothing to send any more (read, no longer visible, turned off, no address): recorded with the reason. */
export async function markSkipped(knex: Knex, worker: string, ids: number[], reason: string, now: Date): Promise<void> {
	if (ids.length === 0) return;
	await held(knex, worker, ids).update({ ...finished('skipped', now), last_error: reasonText(reason) });
}

export async function markFailed(knex: Knex, worker: string, ids: number[], reason: string, now: Date): Promise<void> {
	if (ids.length === 0) return;
	await held(knex, worker, ids).update({ ...finished('failed', now), last_error: reasonText(reason) });
}

/** Back to pending, due again at `dueAt`. */
export async function markRetry(knex: Knex, worker: string, ids: number[], dueAt: number, reason: string): Promise<void> {
	if (ids.length === 0) return;
	await held(knex, worker, ids).update({ due_at: dueAt, last_error: reasonText(reason), claimed_by: null, claimed_until: null });
}

/**
 * Deletes up to `limit` rows that finished (sent, skipped, failed) before `before` (epoch ms); pending rows
 * never. On PostgreSQL instances cleaning at once take disjoint rows (SKIP LOCKED), so none waits for or
 * deadlocks with another; deleting a row another instance already deleted is a no-op. Returns how many went.
 */
export async function deleteFinishedBefore(knex: Knex, before: number, limit: number): Promise<number> {
	const oldest = knex(TABLE)
		.select('id')
		.where('finished_at', '<', before)
		.whereNot('status', 'pending')
		.orderBy('finished_at')
		.limit(limit)
		.modify((query) => {
			if (!isSqlite(knex)) query.forUpdate().skipLocked();
		});
	return knex(TABLE).whereIn('id', oldest).delete();
}
