import type { Platform } from '../../domain/push-message.js';

/** A push target as stored in community_devices. */
export interface PushDevice {
	id: number;
	token: string;
	platform: Platform;
	app_id: string | null;
	web_keys: { p256dh: string; auth: string } | null;
}

/** What a push says; `body` is null unless the course shows text on lock screens. */
export interface PushMessage {
	title: string;
	body: string | null;
	badge: number;
	/** Groups repeated pushes about one notification on the device (and keeps a resend from showing twice). */
	collapseId: string;
	data: Record<string, string>;
}

/**
 * How a provider answered: `dead` means the token will never work again (the device is removed), `retry` a
 * failure worth another attempt (429, 5xx, a dropped connection), `failed` one that will not get better.
 */
export type PushOutcome =
	| { kind: 'sent'; ref: string | null }
	| { kind: 'dead'; reason: string }
	| { kind: 'retry'; reason: string; retryAfterSeconds: number | null }
	| { kind: 'failed'; reason: string };

export interface PushProvider {
	send(device: PushDevice, message: PushMessage): Promise<PushOutcome>;
	close?(): Promise<void>;
}

/** 429 and 5xx are worth retrying; other 4xx are not. */
export const transient = (status: number): boolean => status === 429 || status >= 500;
