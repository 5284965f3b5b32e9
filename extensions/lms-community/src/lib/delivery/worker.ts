import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { outboxCutoff, retryDelaySeconds } from '../domain/delivery-timing.js';
import { wantsChannel } from '../domain/notification-settings.js';
import { appPath, describeNotification, excerpt, type Platform } from '../domain/push-message.js';
import type { DeliveryConfig } from './config.js';
import {
	claimDue,
	claimPendingEmailOf,
	deleteFinishedBefore,
	markFailed,
	markRetry,
	markSent,
	markSkipped,
	type DeliveryRow,
} from './outbox.js';
import type { PushDevice, PushMessage, PushOutcome, PushProvider } from './push/provider.js';
import { loadCourseDefaults, loadMemberSettings, settingsInGroup, type MemberSettingsRow } from './settings-store.js';
import { loadNotification, whyNotSendable, type NotificationRow } from './still-relevant.js';
import { DIGEST_TEMPLATE } from './templates.js';
import { unsubscribeUrl } from './unsubscribe.js';

/** Directus's MailService as the worker uses it (built per round, as the system). */
export interface MailSender {
	send(options: Record<string, unknown>): Promise<unknown>;
}

export interface DeliveryWorkerDeps {
	knex: Knex;
	config: DeliveryConfig;
	/** This instance's name in `claimed_by`. */
	worker: string;
	mailAsSystem: () => Promise<MailSender>;
	providers: Partial<Record<Platform, PushProvider>>;
	logger: { warn(message: string): void; error(error: unknown, message?: string): void };
	now?: () => Date;
}

interface Described {
	line: string;
	title: string | null;
	text: string | null;
	url: string;
	groupName: string;
}

/**
 * One round of the outbox: claims what is due, then sends e-mail per recipient (one message for all their due
 * rows: the digest) and pushes one by one. Before anything leaves, each row is checked again: still unread,
 * still visible to the recipient, still wanted by their settings. Returns how many rows it handled.
 */
export async function runDeliveryRound(deps: DeliveryWorkerDeps): Promise<number> {
	const now = deps.now?.() ?? new Date();
	const due = await claimDue(deps.knex, deps.worker, now.getTime(), deps.config.batchSize, deps.config.leaseSeconds);
	if (due.length === 0) return 0;
	const emailRecipients = [...new Set(due.filter((row) => row.channel === 'email').map((row) => row.recipient))];
	const rows = [...due, ...(await claimPendingEmailOf(deps.knex, deps.worker, emailRecipients, now.getTime(), deps.config.leaseSeconds))];
	const byRecipient = new Map<string, DeliveryRow[]>();
	for (const row of rows.filter((r) => r.channel === 'email'))
		byRecipient.set(row.recipient, [...(byRecipient.get(row.recipient) ?? []), row]);
	const work = [
		...[...byRecipient.entries()].map(([recipient, emailRows]) => sendEmail(deps, recipient, emailRows, now)),
		...rows.filter((r) => r.channel === 'push').map((row) => sendPush(deps, row, now)),
	];
	for (const outcome of await Promise.allSettled(work))
		if (outcome.status === 'rejected') deps.logger.error(outcome.reason, 'community: a delivery failed unexpectedly');
	return due.length;
}

/** Rows the cleanup removes per round: one short statement, so sends never wait behind a long delete. */
const CLEANUP_BATCH = 500;

/** The outbox's own retention: removes one batch of rows finished more than COMMUNITY_DELIVERY_KEEP_DAYS ago. */
export async function cleanUpOutbox(deps: Pick<DeliveryWorkerDeps, 'knex' | 'config' | 'now'>): Promise<number> {
	const cutoff = outboxCutoff(deps.now?.() ?? new Date(), deps.config.keepDays);
	return cutoff === null ? 0 : deleteFinishedBefore(deps.knex, cutoff, CLEANUP_BATCH);
}

async function describe(knex: Knex, config: DeliveryConfig, notification: NotificationRow): Promise<Described> {
	const [actor, group, post, message] = await Promise.all([
		notification.actor ? knex('directus_users').select('first_name', 'last_name').where({ id: notification.actor }).first() : null,
		knex('community_groups').select('name').where({ id: notification.group }).first(),
		notification.post !== null ? knex('community_posts').select('title', 'body', 'parent').where({ id: notification.post }).first() : null,
		notification.message !== null ? knex('community_messages').select('body').where({ id: notification.message }).first() : null,
	]);
	const actorName = actor ? [actor.first_name, actor.last_name].filter(Boolean).join(' ') || null : null;
	const groupName = String(group?.name ?? 'your course');
	let title: string | null = post?.title ?? null;
	// A reply names its thread only while the thread is published: a hidden or deleted thread's title stays out of mail.
	if (!title && post?.parent)
		title = (await knex('community_posts').select('title').where({ id: post.parent, status: 'published' }).first())?.title ?? null;
	const body = post?.body ?? message?.body ?? null;
	return {
		line: describeNotification(notification.type, actorName, groupName),
		title,
		text: body ? excerpt(String(body)) : null,
		url: config.appUrl + appPath(notification),
		groupName,
	};
}

/** A deterministic Message-ID: the same batch sent again after a crash carries the same id, so mail systems can drop the copy. */
function messageIdOf(config: DeliveryConfig, ids: number[]): string {
	const host = new URL(config.publicUrl).hostname || 'localhost';
	return `<community-${createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 32)}@${host}>`;
}

async function sendEmail(deps: DeliveryWorkerDeps, recipient: string, rows: DeliveryRow[], now: Date): Promise<void> {
	const { knex, config, worker } = deps;
	const ids = rows.map((row) => row.id);
	if (!config.emailEnabled) return markSkipped(knex, worker, ids, 'e-mail is switched off on the server', now);
	const user = await knex('directus_users').select('email', 'status').where({ id: recipient }).first();
	if (!user?.email || user.status !== 'active')
		return markSkipped(knex, worker, ids, 'the recipient has no active account with an address', now);
	const member = await loadMemberSettings(knex, recipient);
	if (member.suppressedEmail && member.suppressedEmail.toLowerCase() === String(user.email).toLowerCase())
		return markSkipped(knex, worker, ids, `the address is suppressed (${member.suppressedReason ?? 'bounce'})`, now);

	const items: Array<Described & { id: number }> = [];
	for (const row of rows) {
		const checked = await sendable(knex, member, row, 'email');
		if ('reason' in checked) await markSkipped(knex, worker, [row.id], checked.reason, now);
		else items.push({ ...(await describe(knex, config, checked.notification)), id: row.id });
	}
	if (items.length === 0) return;
	const sending = items.map((item) => item.id);
	const unsubscribe = unsubscribeUrl(config.publicUrl, config.secret, recipient);
	const subject =
		items.length === 1
			? items[0]!.line
			: `${items.length} new notifications in ${items[0]!.groupName}${multipleGroups(items) ? ' and more' : ''}`;
	const messageId = messageIdOf(config, sending);
	try {
		const mail = await deps.mailAsSystem();
		await mail.send({
			to: user.email,
			subject,
			messageId,
			headers: { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
			text: [...items.map((item) => `${item.line}${item.title ? `: ${item.title}` : ''}\n${item.url}`), `Unsubscribe: ${unsubscribe}`].join(
				'\n\n',
			),
			template: {
				name: DIGEST_TEMPLATE,
				data: {
					heading: subject,
					items: items.map(({ line, title, text, url }) => ({ line, title, excerpt: text, url })),
					unsubscribeUrl: unsubscribe,
					settingsUrl: `${config.appUrl}/settings/notifications`,
				},
			},
		});
		await markSent(knex, worker, sending, messageId, now);
	} catch (error) {
		const code = (error as { responseCode?: number }).responseCode;
		// A permanent SMTP refusal (5xx) will not change on retry; anything else (4xx, no connection) may.
		if (code !== undefined && code >= 500) return markFailed(knex, worker, sending, `SMTP ${code}: ${(error as Error).message}`, now);
		await retryOrFail(
			deps,
			rows.filter((row) => sending.includes(row.id)),
			`e-mail: ${(error as Error).message}`,
			null,
			now,
		);
	}
}

const multipleGroups = (items: Described[]) => new Set(items.map((item) => item.groupName)).size > 1;

/** The notification to send, or why this row must not be sent now (gone, read, hidden, or turned off). */
async function sendable(
	knex: Knex,
	member: MemberSettingsRow,
	row: DeliveryRow,
	channel: 'email' | 'push',
): Promise<{ notification: NotificationRow } | { reason: string }> {
	const notification = row.notification === null ? null : await loadNotification(knex, row.notification);
	const reason = await whyNotSendable(knex, notification);
	if (reason) return { reason };
	if (notification!.recipient !== row.recipient) return { reason: 'the notification belongs to someone else' };
	const settings = await settingsInGroup(knex, member.own, notification!.group);
	if (!wantsChannel(settings, channel, notification!.type)) return { reason: `${channel} is turned off for this kind in the settings` };
	return { notification: notification! };
}

async function sendPush(deps: DeliveryWorkerDeps, row: DeliveryRow, now: Date): Promise<void> {
	const { knex, config, worker } = deps;
	const stored = row.device === null ? null : await knex('community_devices').where({ id: row.device }).first();
	if (!stored) return markSkipped(knex, worker, [row.id], 'the device was removed', now);
	if (stored.user !== row.recipient) return markSkipped(knex, worker, [row.id], 'the device moved to another user', now);
	const checked = await sendable(knex, await loadMemberSettings(knex, row.recipient), row, 'push');
	if ('reason' in checked) return markSkipped(knex, worker, [row.id], checked.reason, now);
	const provider = deps.providers[stored.platform as Platform];
	if (!provider) return markSkipped(knex, worker, [row.id], `no push provider is configured for ${stored.platform}`, now);

	const { notification } = checked;
	const described = await describe(knex, config, notification);
	const { pushPreview } = await loadCourseDefaults(knex, notification.group);
	const unread = await knex('community_notifications').where({ recipient: row.recipient }).whereNull('read_at').count({ n: '*' }).first();
	const message: PushMessage = {
		title: described.line,
		body: pushPreview ? described.text : null,
		badge: Number(unread?.n ?? 0),
		collapseId: `n-${notification.id}`,
		data: {
			notification: String(notification.id),
			group: String(notification.group),
			type: notification.type,
			url: described.url,
		},
	};
	const device: PushDevice = {
		id: Number(stored.id),
		token: stored.token,
		platform: stored.platform,
		app_id: stored.app_id ?? null,
		web_keys: typeof stored.web_keys === 'string' ? JSON.parse(stored.web_keys) : (stored.web_keys ?? null),
	};
	const outcome: PushOutcome = await provider.send(device, message).catch((error: Error) => ({
		kind: 'retry' as const,
		reason: error.message,
		retryAfterSeconds: null,
	}));
	if (outcome.kind === 'sent') return markSent(knex, worker, [row.id], outcome.ref, now);
	if (outcome.kind === 'dead') {
		// Only this token: if it was registered again meanwhile (a new row), that one stays.
		await knex('community_devices').where({ id: device.id, token: device.token }).delete();
		return markSkipped(knex, worker, [row.id], `${outcome.reason}: the device was removed`, now);
	}
	if (outcome.kind === 'failed') return markFailed(knex, worker, [row.id], outcome.reason, now);
	await retryOrFail(deps, [row], outcome.reason, outcome.retryAfterSeconds, now);
}

async function retryOrFail(deps: DeliveryWorkerDeps, rows: DeliveryRow[], reason: string, retryAfter: number | null, now: Date) {
	const { knex, config, worker } = deps;
	const spent = rows.filter((row) => row.attempts >= config.maxAttempts);
	await markFailed(
		knex,
		worker,
		spent.map((row) => row.id),
		`${reason} (gave up after ${config.maxAttempts} attempts)`,
		now,
	);
	for (const row of rows.filter((r) => r.attempts < config.maxAttempts)) {
		const delay = retryDelaySeconds(row.attempts, config.backoff, retryAfter);
		await markRetry(knex, worker, [row.id], now.getTime() + delay * 1000, reason);
	}
}
