import type { Knex } from 'knex';
import { effectiveSettings, type NotificationSettingsInput } from '../domain/notification-settings.js';
import { assertInstructor } from '../rules/facts.js';
import type { SignedInCaller } from '../rules/caller.js';
import { loadVisibleGroup } from '../rules/visibility.js';
import { loadCourseDefaults, loadMemberSettings, patchSettings, saveMemberSettings, settingsView } from './settings-store.js';

/** GET /community/me/notification-settings */
export async function mySettings(knex: Knex, caller: SignedInCaller) {
	return settingsView(await loadMemberSettings(knex, caller.userId));
}

/**
 * PATCH /community/me/notification-settings: changes only the keys sent. Turning e-mail on again lifts an
 * unsubscribe made from an e-mail link, never the suppression of an address that bounced.
 */
export async function updateMySettings(knex: Knex, caller: SignedInCaller, change: NotificationSettingsInput) {
	const current = await loadMemberSettings(knex, caller.userId);
	const settings = patchSettings(current.own, change);
	await saveMemberSettings(knex, caller.userId, { settings });
	return settingsView({ ...current, own: settings });
}

/** GET /community/groups/:id/notification-defaults: what the course sets, and what it comes to for the caller. */
export async function groupDefaults(knex: Knex, caller: SignedInCaller, groupId: number) {
	await loadVisibleGroup(knex, groupId, caller.userId, caller.admin);
	const { defaults, pushPreview } = await loadCourseDefaults(knex, groupId);
	const own = (await loadMemberSettings(knex, caller.userId)).own;
	return { defaults, push_preview: pushPreview, effective: effectiveSettings(defaults, own) };
}

/** PATCH /community/groups/:id/notification-defaults: the group's instructors (and admins) only. */
export async function updateGroupDefaults(
	knex: Knex,
	caller: SignedInCaller,
	groupId: number,
	change: { defaults?: NotificationSettingsInput | null; push_preview?: boolean },
) {
	assertInstructor(await loadVisibleGroup(knex, groupId, caller.userId, caller.admin));
	const values: Record<string, unknown> = {};
	if (change.defaults !== undefined) {
		const { defaults } = await loadCourseDefaults(knex, groupId);
		values['notification_defaults'] = change.defaults === null ? null : JSON.stringify(patchSettings(defaults, change.defaults));
	}
	if (change.push_preview !== undefined) values['push_preview'] = change.push_preview;
	if (Object.keys(values).length > 0) await knex('community_groups').where({ id: groupId }).update(values);
	return groupDefaults(knex, caller, groupId);
}
