import type { Knex } from 'knex';
import {
	effectiveSettings,
	mergeSettings,
	BUILT_IN_SETTINGS,
	storedSettings,
	type NotificationSettings,
	type NotificationSettingsInput,
} from '../domain/notification-settings.js';
import { nowIso } from '../rules/clock.js';

/**
 * Reading and writing notification settings: a member's own row in community_notification_settings (their
 * choices and the suppression of a bounced address) and a course's defaults on its group row.
 */

const TABLE = 'community_notification_settings';

export interface MemberSettingsRow {
	own: NotificationSettingsInput;
	suppressedEmail: string | null;
	suppressedReason: string | null;
}

export async function loadMemberSettings(knex: Knex, userId: string): Promise<MemberSettingsRow> {
	const row = await knex(TABLE).select('settings', 'suppressed_email', 'suppressed_reason').where({ user: userId }).first();
	return {
		own: storedSettings(row?.settings ?? null),
		suppressedEmail: row?.suppressed_email ?? null,
		suppressedReason: row?.suppressed_reason ?? null,
	};
}

export async function loadCourseDefaults(
	knex: Knex,
	groupId: number,
): Promise<{ defaults: NotificationSettingsInput; pushPreview: boolean }> {
	const row = await knex('community_groups').select('notification_defaults', 'push_preview').where({ id: groupId }).first();
	return {
		defaults: storedSettings(row?.notification_defaults ?? null),
		pushPreview: row?.push_preview === true || row?.push_preview === 1,
	};
}

/** A member's settings in one group. */
export async function settingsInGroup(knex: Knex, own: NotificationSettingsInput, groupId: number): Promise<NotificationSettings> {
	return effectiveSettings((await loadCourseDefaults(knex, groupId)).defaults, own);
}

/** Layers a change over stored partial settings, channel by channel, so a PATCH changes only what it names. */
export function patchSettings(stored: NotificationSettingsInput, change: NotificationSettingsInput): NotificationSettingsInput {
	const next: NotificationSettingsInput = { ...stored, ...change };
	if (change.email) next.email = { ...stored.email, ...change.email };
	if (change.push) next.push = { ...stored.push, ...change.push };
	return next;
}

/** What GET and PATCH answer: the member's own choices and what they come to without course defaults. */
export function settingsView(row: MemberSettingsRow) {
	return {
		settings: row.own,
		effective: mergeSettings(BUILT_IN_SETTINGS, row.own),
		email_suppressed: row.suppressedEmail !== null,
	};
}

/** Writes a member's own settings row (created on first write). */
export async function saveMemberSettings(knex: Knex, userId: string, fields: Record<string, unknown>): Promise<void> {
	const values = { ...fields, date_updated: nowIso() };
	if ('settings' in values) values['settings'] = JSON.stringify(values['settings']);
	await knex(TABLE)
		.insert({ user: userId, ...values })
		.onConflict('user')
		.merge(values);
}
