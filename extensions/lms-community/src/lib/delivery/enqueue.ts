import type { Knex } from 'knex';
import { emailDueAt, pushDueAt } from '../domain/delivery-timing.js';
import { wantsChannel } from '../domain/notification-settings.js';
import { timeOf } from '../rules/clock.js';
import { pushConfigured, type DeliveryConfig } from './config.js';
import { enqueueDeliveriesAsSystem, type NewDelivery } from './outbox.js';
import { loadMemberSettings, settingsInGroup } from './settings-store.js';
import { loadNotification } from './still-relevant.js';

/**
 * Queues what a new notification should cause away from the app: an e-mail when it is still unread after the
 * delay (or in the member's next digest), and a push to each of the member's devices (after quiet hours).
 * Runs as the system: the outbox is not the member's to write. Whether it is still right to send is decided
 * again at send time; this only decides whether and when to look.
 */
export async function queueDeliveriesAsSystem(knex: Knex, config: DeliveryConfig, notificationId: number, now: Date): Promise<number> {
	// Nothing configured to send with: no reads on the notification path at all.
	if (!config.emailEnabled && !pushConfigured(config)) return 0;
	const notification = await loadNotification(knex, notificationId);
	if (!notification) return 0;
	const member = await loadMemberSettings(knex, notification.recipient);
	const settings = await settingsInGroup(knex, member.own, notification.group);
	const createdAt = new Date(timeOf(notification.date_created) ?? now.getTime());
	const rows: NewDelivery[] = [];
	const base = { notification: notification.id, recipient: notification.recipient };

	if (config.emailEnabled && wantsChannel(settings, 'email', notification.type))
		rows.push({
			...base,
			channel: 'email',
			device: null,
			due_at: emailDueAt(createdAt, settings, config.emailDelaySeconds).getTime(),
			dedupe_key: `email:${notification.id}`,
		});

	if (pushConfigured(config) && wantsChannel(settings, 'push', notification.type)) {
		const devices: Array<{ id: number }> = await knex('community_devices').select('id').where({ user: notification.recipient });
		const due = pushDueAt(createdAt, settings).getTime();
		for (const device of devices)
			rows.push({ ...base, channel: 'push', device: Number(device.id), due_at: due, dedupe_key: `push:${notification.id}:${device.id}` });
	}
	await enqueueDeliveriesAsSystem(knex, rows, now);
	return rows.length;
}
