import { randomInt } from 'node:crypto';
import type { Knex } from 'knex';
import { pickPseudonym } from '../domain/privacy.js';
import { nowIso } from '../rules/clock.js';

export type PrivacyAction = 'erase' | 'user_deleted' | 'export' | 'retention' | 'group_archived' | 'group_deleted';

export interface PrivacyLogEntry {
	action: PrivacyAction;
	/** The person whose data it was; null for group actions. */
	subject?: string | null;
	group?: number | null;
	/** Who asked; null: the retention schedule. */
	actor: string | null;
	/** Rows changed or removed, per kind. */
	counts: Record<string, number>;
	/** Settings the action used; never content. */
	detail?: Record<string, unknown> | null;
}

const LOG = 'community_privacy_log';

/**
 * Records what an action did to people's data, in the action's own transaction: who, when, how many rows of
 * each kind, never the content. Written as the system: only admins read the log (no member policy names it).
 */
export async function recordPrivacyAction(knex: Knex, entry: PrivacyLogEntry): Promise<number> {
	const [row] = await knex(LOG)
		.insert({
			action: entry.action,
			subject: entry.subject ?? null,
			group: entry.group ?? null,
			actor: entry.actor,
			counts: JSON.stringify(entry.counts),
			detail: entry.detail ? JSON.stringify(entry.detail) : null,
			date_created: nowIso(),
		})
		.returning('id');
	return Number(typeof row === 'object' ? row.id : row);
}

const parse = (value: unknown): Record<string, unknown> =>
	(typeof value === 'string' ? JSON.parse(value) : (value ?? {})) as Record<string, unknown>;

/** The pseudonyms a person's content was given when their account was deleted or their data erased. */
export async function pseudonymsOf(knex: Knex, userId: string): Promise<string[]> {
	const rows: Array<{ detail: unknown }> = await knex(LOG)
		.select('detail')
		.where({ subject: userId })
		.whereIn('action', ['user_deleted', 'erase'])
		.orderBy('id');
	const labels = rows.map((row) => parse(row.detail)['pseudonym']).filter((label): label is string => typeof label === 'string');
	return [...new Set(labels)];
}

/**
 * The one pseudonym of a person: the one they already have (an earlier deletion attempt or erasure), else a
 * new random number no other former member in the log has.
 */
export async function pseudonymFor(knex: Knex, userId: string): Promise<string> {
	const [known] = await pseudonymsOf(knex, userId);
	if (known) return known;
	const started: { label: string | null } | undefined = await knex('community_posts')
		.select('author_pseudonym as label')
		.where({ author: userId })
		.whereNotNull('author_pseudonym')
		.union((union) =>
			union.select('sender_pseudonym as label').from('community_messages').where({ sender: userId }).whereNotNull('sender_pseudonym'),
		)
		.first();
	if (started?.label) return started.label;
	const taken: Array<{ detail: unknown }> = await knex(LOG).select('detail').whereIn('action', ['user_deleted', 'erase']);
	const used = new Set(taken.map((row) => String(parse(row.detail)['pseudonym'])));
	return pickPseudonym(() => randomInt(0, 1_000_000) / 1_000_000, used);
}
