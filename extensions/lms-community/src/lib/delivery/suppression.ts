import { timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { nowIso } from '../rules/clock.js';
import { loadMemberSettings, patchSettings, saveMemberSettings } from './settings-store.js';

/**
 * Stops e-mail to an address a mail provider reported as bouncing or complaining (spam button): every account
 * with that address gets it recorded as suppressed; the worker checks it before each send. Changing the
 * account's address lifts it (the suppression names the address, not the person).
 */
export async function suppressAddressAsSystem(knex: Knex, email: string, reason: 'bounce' | 'complaint'): Promise<{ users: number }> {
	const users: Array<{ id: string }> = await knex('directus_users').select('id').whereRaw('LOWER(email) = ?', [email.toLowerCase()]);
	for (const user of users)
		await saveMemberSettings(knex, user.id, { suppressed_email: email.toLowerCase(), suppressed_reason: reason, suppressed_at: nowIso() });
	return { users: users.length };
}

/** The one-click unsubscribe: community e-mail off for this member (their settings can turn it on again). */
export async function unsubscribeAsSystem(knex: Knex, userId: string): Promise<boolean> {
	if (!(await knex('directus_users').select('id').where({ id: userId }).first())) return false;
	const current = await loadMemberSettings(knex, userId);
	await saveMemberSettings(knex, userId, { settings: patchSettings(current.own, { email: { enabled: false } }) });
	return true;
}

/** The mail provider's webhook secret (COMMUNITY_EMAIL_WEBHOOK_TOKEN), compared in constant time. */
export function validWebhookToken(expected: string | null, given: unknown): boolean {
	if (!expected || typeof given !== 'string') return false;
	const a = Buffer.from(expected);
	const b = Buffer.from(given);
	return a.length === b.length && timingSafeEqual(a, b);
}
