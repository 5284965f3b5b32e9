import { randomInt } from 'node:crypto';
import type { Knex } from 'knex';
import { mentionedIds, pickPseudonym, retentionCutoff, scrubMentions, type RetentionAction } from '../domain/privacy.js';
import { timeOf } from '../rules/clock.js';
import { useBus } from '../realtime/use-realtime.js';
import { lockMessagesThenGroups, retryingDeadlocks } from './change-locks.js';
import type { GroupClaims } from './group-claims.js';
import { recordPrivacyAction } from './privacy-log.js';

export interface RetentionOutcome {
	group: number;
	action: RetentionAction;
	/** Messages purged or anonymised by this run (0: nothing was due any more). */
	messages: number;
	/** Another instance was working on the group: it was left to them. */
	claimedElsewhere?: true;
}

interface RetentionGroup {
	id: number;
	ends_at: unknown;
	retention_days: number | string | null;
	retention_action: RetentionAction;
}

/**
 * `created <= at` for a timestamp column. PostgreSQL compares timestamps; SQLite holds Directus's writes as
 * epoch milliseconds and the bundle's own as ISO text, so both forms are read as milliseconds there.
 */
function createdAtOrBefore(knex: Knex, column: string, at: number) {
	if (!String(knex.client.config.client).includes('sqlite')) return knex.raw('?? <= ?', [column, new Date(at)]);
	return knex.raw(`(CASE WHEN typeof(??) IN ('integer', 'real') THEN ?? ELSE (julianday(??) - 2440587.5) * 86400000 END) <= ?`, [
		column,
		column,
		column,
		at,
	]);
}

/**
 * The retention schedule (and POST /community/retention/run): for every group whose `retention_days` have
 * passed since `ends_at`, purges or anonymises the chat that is due, as `retention_action` says. Groups
 * without both settings keep everything. Each group is claimed first (group-claims.ts), and a run finds
 * nothing left to do where another one already worked, so the work happens once across instances.
 */
export async function runRetention(knex: Knex, claims: GroupClaims, actor: string | null, now = Date.now()): Promise<RetentionOutcome[]> {
	const groups: RetentionGroup[] = await knex('community_groups')
		.select('id', 'ends_at', 'retention_days', 'retention_action')
		.whereNotNull('retention_days')
		.whereNotNull('ends_at')
		.orderBy('id');
	const outcomes: RetentionOutcome[] = [];
	for (const group of groups) {
		const setting = { endsAt: timeOf(group.ends_at), days: group.retention_days === null ? null : Number(group.retention_days) };
		const cutoff = retentionCutoff(setting, now);
		if (cutoff === null) continue;
		const action: RetentionAction = group.retention_action === 'purge' ? 'purge' : 'anonymise';
		const release = await claims.claim(Number(group.id));
		if (!release) {
			outcomes.push({ group: Number(group.id), action, messages: 0, claimedElsewhere: true });
			continue;
		}
		try {
			outcomes.push(await applyRetention(knex, Number(group.id), action, cutoff, { ...setting, actor }));
		} finally {
			await release();
		}
	}
	return outcomes;
}

async function applyRetention(
	knex: Knex,
	group: number,
	action: RetentionAction,
	cutoff: number,
	detail: { endsAt: number | null; days: number | null; actor: string | null },
): Promise<RetentionOutcome> {
	const done = await retryingDeadlocks(() =>
		knex.transaction(async (trx) => {
			const due = trx('community_messages')
				.where({ group })
				.where(createdAtOrBefore(trx, 'date_created', cutoff));
			// The due messages first, then (anonymising, which the triggers number) the group: the change cursor's lock
			// order (change-locks.ts). Messages sent meanwhile are newer than the cutoff: they are never due.
			await lockMessagesThenGroups(trx, due, action === 'purge' ? 'delete' : 'update');
			const candidates: Array<{ id: number; seq: number | string; sender: string | null; body: string; client_id: string | null }> =
				action === 'purge'
					? await due.clone().select('id', 'seq')
					: await due
							.clone()
							.select('id', 'seq', 'sender', 'body', 'client_id')
							.where((left) => left.whereNotNull('sender').orWhereNotNull('client_id').orWhere('body', 'like', '%<@%'));
			// Anonymised rows never match again: a second run finds nothing and records nothing.
			const rows = candidates.filter((row) => action === 'purge' || row.sender || row.client_id || mentionedIds(row.body).length > 0);
			if (rows.length === 0) return null;
			const ids = rows.map((row) => Number(row.id));
			for (let i = 0; i < ids.length; i += 500) {
				const part = ids.slice(i, i + 500);
				await trx('directus_revisions').where({ collection: 'community_messages' }).whereIn('item', part.map(String)).delete();
				if (action === 'purge') await trx('community_messages').whereIn('id', part).delete();
				else await trx('community_notifications').whereIn('message', part).update({ actor: null });
			}
			if (action === 'anonymise') await anonymise(trx, rows);
			await recordPrivacyAction(trx, {
				action: 'retention',
				group,
				actor: detail.actor,
				counts: { [action === 'purge' ? 'messages_purged' : 'messages_anonymised']: rows.length },
				detail: {
					retention_action: action,
					retention_days: detail.days,
					ends_at: detail.endsAt === null ? null : new Date(detail.endsAt).toISOString(),
					cutoff: new Date(cutoff).toISOString(),
				},
			});
			return { count: rows.length, throughSeq: Math.max(...rows.map((row) => Number(row.seq))) };
		}),
	);
	if (done) useBus()?.historyChanged(group, done.throughSeq, action === 'purge' ? 'purged' : 'anonymised');
	return { group, action, messages: done?.count ?? 0 };
}

/**
 * Who wrote or was mentioned goes; the words stay. Everyone named in this batch gets one pseudonym for it,
 * so a conversation still reads as one, but a new run never reuses it: nothing links back to the account.
 */
async function anonymise(trx: Knex, rows: Array<{ id: number; sender: string | null; body: string }>): Promise<void> {
	const labels = new Map<string, string>();
	const labelOf = (user: string) => {
		if (!labels.has(user))
			labels.set(
				user,
				pickPseudonym(() => randomInt(0, 1_000_000) / 1_000_000, new Set(labels.values())),
			);
		return labels.get(user)!;
	};
	for (const row of rows) {
		const body = mentionedIds(row.body).reduce((text, user) => scrubMentions(text, user, labelOf(user)), row.body);
		await trx('community_messages')
			.where({ id: row.id })
			.update({
				sender: null,
				sender_pseudonym: row.sender ? labelOf(row.sender) : trx.ref('sender_pseudonym'),
				client_id: null,
				body,
			});
	}
}
