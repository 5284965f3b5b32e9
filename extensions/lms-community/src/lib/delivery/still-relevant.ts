import type { Knex } from 'knex';
import { facts, loadMemberContext, type MemberContext } from '../rules/facts.js';
import { readsGroup, seesMessage, seesPost } from '../rules/visibility.js';
import { mayReadReply } from '../rules/reply-gate.js';

export interface NotificationRow {
	id: number;
	recipient: string;
	actor: string | null;
	group: number;
	type: string;
	post: number | null;
	message: number | string | null;
	read_at: unknown;
	date_created: unknown;
}

export async function loadNotification(knex: Knex, id: number): Promise<NotificationRow | null> {
	const row = await knex('community_notifications')
		.select('id', 'recipient', 'actor', 'group', 'type', 'post', 'message', 'read_at', 'date_created')
		.where({ id })
		.first();
	return row ? { ...row, id: Number(row.id), group: Number(row.group), post: row.post === null ? null : Number(row.post) } : null;
}

/**
 * Why a notification must not leave the server now, or null when it may: it was read, the recipient no
 * longer reads the group (left, banned, enrollment ended), or the post or message was deleted or hidden from
 * them since. The same rules as every read (rules/visibility.ts), checked at send time, not at queue time.
 */
export async function whyNotSendable(knex: Knex, notification: NotificationRow | null): Promise<string | null> {
	if (!notification) return 'the notification was deleted';
	if (notification.read_at) return 'read before it was sent';
	const user = notification.recipient;
	let context: MemberContext;
	try {
		context = await loadMemberContext(knex, notification.group, user, false);
	} catch {
		return 'the group is gone';
	}
	if (!readsGroup(context)) return 'the recipient no longer reads the group';
	if (notification.post !== null) {
		const post = await facts.post(knex, notification.post);
		if (!post || !seesPost(context, post, user)) return 'the post is no longer visible to the recipient';
		// "Post before you see replies": a reply the recipient may not read (yet, or again) is not sent to them either.
		if (!(await mayReadReply(knex, post, context, user))) return 'the recipient may not read replies of this thread now';
	}
	if (notification.message !== null) {
		const message = await facts.message(knex, Number(notification.message));
		if (!message || message.deleted_at || !seesMessage(context, message, user)) return 'the message is no longer visible to the recipient';
	}
	return null;
}
