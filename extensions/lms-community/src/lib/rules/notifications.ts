import type { ApiExtensionContext } from '@directus/types';
import type { Knex } from 'knex';

export type NotificationType =
	| 'post_reply'
	| 'post_reaction'
	| 'mention'
	| 'post_pending'
	| 'post_approved'
	| 'post_rejected'
	| 'message_mention'
	| 'message_reply'
	| 'report_new'
	| 'report_resolved';

export interface NotificationDraft {
	recipient: string;
	actor: string | null;
	group: number;
	type: NotificationType;
	post?: number | null;
	message?: number | string | null;
	data?: Record<string, unknown> | null;
}

/** Types a member with `notify: mentions` still gets: the ones addressed to them personally. */
const PERSONAL: readonly NotificationType[] = [
	'mention',
	'message_mention',
	'message_reply',
	'post_approved',
	'post_rejected',
	'report_resolved',
];

export type NotifyPreference = 'all' | 'mentions' | 'none';

/**
 * Which drafts are delivered: never to the actor, never to someone who is not a reading member of the group
 * (`preferenceOf` answers undefined), as the recipient's `notify` preference says, and once per recipient,
 * type and subject.
 */
export function deliverable(
	drafts: NotificationDraft[],
	preferenceOf: (draft: NotificationDraft) => NotifyPreference | undefined,
): NotificationDraft[] {
	const seen = new Set<string>();
	return drafts.filter((draft) => {
		if (draft.recipient === draft.actor) return false;
		const preference = preferenceOf(draft);
		if (!preference || preference === 'none') return false;
		if (preference === 'mentions' && !PERSONAL.includes(draft.type)) return false;
		const key = `${draft.recipient}:${draft.type}:${draft.post ?? ''}:${draft.message ?? ''}`;
		if (seen.has(key)) return false;
		seen.add(key);
		return true;
	});
}

/**
 * Creates the deliverable notifications through ItemsService as the system (no member may create
 * notifications for others), so hooks on `community_notifications` see them, whatever created them.
 */
export async function notifyAsSystem(
	context: Pick<ApiExtensionContext, 'services' | 'getSchema'>,
	knex: Knex,
	drafts: NotificationDraft[],
): Promise<void> {
	if (drafts.length === 0) return;
	const members: Array<{ group: number; user: string; notify: NotifyPreference }> = await knex('community_members')
		.select('group', 'user', 'notify')
		.whereIn('group', [...new Set(drafts.map((d) => d.group))])
		.whereIn('user', [...new Set(drafts.map((d) => d.recipient))])
		.whereIn('status', ['active', 'muted']);
	const preferences = new Map(members.map((m) => [`${m.group}:${m.user}`, m.notify]));
	const rows = deliverable(drafts, (draft) => preferences.get(`${draft.group}:${draft.recipient}`));
	if (rows.length === 0) return;
	const notificationsAsSystem = new context.services.ItemsService('community_notifications', {
		knex,
		schema: await context.getSchema({ database: knex }),
		accountability: null,
	});
	// The system's own fan-out is not a client's batch: MAX_BATCH_MUTATION is for requests.
	await notificationsAsSystem.createMany(
		rows.map((row) => ({ ...row, post: row.post ?? null, message: row.message ?? null, data: row.data ?? null })),
		{ bypassLimits: true },
	);
}
