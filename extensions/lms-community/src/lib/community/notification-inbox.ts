import { nowIso } from '../rules/clock.js';
import type { CommunityContext } from './context.js';

/**
 * A member's own notifications in the app: how many are unread, dismissing and deleting them. Every
 * statement is bounded by `recipient = caller`, so another person's ids change nothing and reveal nothing.
 */

/** Unread: neither read nor dismissed. */
export async function unreadNotificationCount(context: CommunityContext, userId: string): Promise<number> {
	const [row] = await context
		.database('community_notifications')
		.where({ recipient: userId })
		.whereNull('read_at')
		.whereNull('dismissed_at')
		.count({ count: '*' });
	return Number(row?.['count'] ?? 0);
}

/** POST /community/notifications/dismiss { ids } | { all: true }: dismissed ones count as read too. */
export async function dismissNotifications(context: CommunityContext, userId: string, ids: number[] | 'all'): Promise<number> {
	const now = nowIso();
	const query = context.database('community_notifications').where({ recipient: userId }).whereNull('dismissed_at');
	if (ids !== 'all') query.whereIn('id', ids);
	return query.update({ dismissed_at: now, read_at: context.database.raw('COALESCE(??, ?)', ['read_at', now]) });
}

/** DELETE /community/notifications/:id: the caller's own only; anyone else's answers like a missing one (0). */
export async function deleteNotifications(context: CommunityContext, userId: string, ids: number[]): Promise<number> {
	return context.database('community_notifications').where({ recipient: userId }).whereIn('id', ids).delete();
}
