import { z } from 'zod';
import { NotificationSettingsInput } from '../domain/notification-settings.js';
import { PLATFORMS } from '../domain/push-message.js';

/** Inbound payloads of the delivery endpoints; unknown keys are refused (FIELD_NOT_ALLOWED). */

export const DeviceInput = z
	.object({
		/** FCM registration token, APNs device token (hex), or the Web Push subscription endpoint. */
		token: z.string().trim().min(8).max(1024),
		platform: z.enum(PLATFORMS),
		app_id: z.string().trim().min(1).max(255).nullish(),
		/** Web Push only: the subscription's keys. */
		keys: z
			.object({ p256dh: z.string().min(16).max(256), auth: z.string().min(8).max(64) })
			.strict()
			.nullish(),
	})
	.strict()
	.refine((device) => device.platform !== 'web' || device.keys, { message: 'keys: required for platform web', path: ['keys'] });
export type DeviceInput = z.infer<typeof DeviceInput>;

export const GroupNotificationDefaultsInput = z
	.object({
		defaults: NotificationSettingsInput.nullable(),
		/** Push notifications show the text of the post or message (lock screens are public: off by default). */
		push_preview: z.boolean(),
	})
	.partial()
	.strict();

export const SuppressionInput = z
	.object({
		email: z.string().trim().email().max(255),
		reason: z.enum(['bounce', 'complaint']),
	})
	.strict();
