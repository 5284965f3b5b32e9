/**
 * What leaves the server about a notification, as pure rules: the one-line description used as a push title
 * and an e-mail line, the link into the app, and which Web Push endpoints the server will call.
 */

export const PLATFORMS = ['ios', 'android', 'web'] as const;
export type Platform = (typeof PLATFORMS)[number];

const DESCRIPTIONS: Record<string, (actor: string) => string> = {
	mention: (actor) => `${actor} mentioned you`,
	message_mention: (actor) => `${actor} mentioned you in the chat`,
	message_reply: (actor) => `${actor} replied to you in the chat`,
	post_reply: (actor) => `${actor} replied`,
	post_reaction: (actor) => `${actor} reacted to your post`,
	post_pending: () => 'A post is waiting for approval',
	post_approved: () => 'Your post was approved',
	post_rejected: () => 'Your post was not approved',
	report_new: () => 'Something was reported for review',
	report_resolved: () => 'Your report was handled',
};

/** "Ada replied in Algebra I": who did what where, never the content itself. */
export function describeNotification(type: string, actorName: string | null, groupName: string): string {
	const describe = DESCRIPTIONS[type] ?? (() => 'New activity');
	return `${describe(actorName ?? 'Someone')} in ${groupName}`;
}

export interface NotificationTarget {
	group: number;
	post: number | null;
	message: number | string | null;
}

/** The app's deep link for a notification (docs/notifications.md lists the paths an app must handle). */
export function appPath(target: NotificationTarget): string {
	if (target.post) return `/groups/${target.group}/posts/${target.post}`;
	if (target.message) return `/groups/${target.group}/chat/${target.message}`;
	return `/groups/${target.group}`;
}

/** Plain text of a markdown body, shortened at a word for a preview. */
export function excerpt(markdown: string, max = 140): string {
	const plain = markdown
		.replace(/<[^>]*>/g, ' ')
		.replace(/[*_`#>~[\]()!]/g, '')
		.replace(/\s+/g, ' ')
		.trim();
	if (plain.length <= max) return plain;
	const cut = plain.slice(0, max - 1);
	return `${cut.slice(0, cut.lastIndexOf(' ') > max / 2 ? cut.lastIndexOf(' ') : cut.length)}…`;
}

/** The push services browsers use; a subscription endpoint elsewhere is refused (the server would call it). */
export const DEFAULT_WEB_PUSH_HOSTS = [
	'fcm.googleapis.com',
	'updates.push.services.mozilla.com',
	'.push.services.mozilla.com',
	'.notify.windows.com',
	'web.push.apple.com',
];

/**
 * Whether the server may call this Web Push endpoint: https on an allowed host (an entry starting with a dot
 * allows subdomains); an entry that is a full origin (`http://127.0.0.1:9000`) allows exactly that origin.
 */
export function webPushEndpointAllowed(endpoint: string, allowed: readonly string[]): boolean {
	let url: URL;
	try {
		url = new URL(endpoint);
	} catch {
		return false;
	}
	return allowed.some((entry) => {
		if (entry.includes('://')) return url.origin === new URL(entry).origin;
		// A host-only entry means that host on the default HTTPS port, not any port of it.
		if (url.protocol !== 'https:' || url.port !== '') return false;
		return entry.startsWith('.') ? url.hostname.endsWith(entry) : url.hostname === entry;
	});
}

/** The APNs topic of a device: its app id when the school lists it, else the school's default bundle id. */
export function topicOf(appId: string | null | undefined, topics: readonly string[]): string | null {
	if (appId && topics.includes(appId)) return appId;
	return topics[0] ?? null;
}
