import webPush from 'web-push';
import { parseRetryAfter } from '../../domain/delivery-timing.js';
import type { WebPushConfig } from '../config.js';
import { transient, type PushDevice, type PushMessage, type PushOutcome, type PushProvider } from './provider.js';

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and an aes128gcm-encrypted payload (RFC 8291). The `web-push`
 * package builds the request (encryption, VAPID header); fetch sends it to the subscription's endpoint, which
 * the browser's push service chose and which registration checked against the allowed hosts.
 */
export function createWebPushProvider(config: WebPushConfig, fetchImpl: typeof fetch = fetch): PushProvider {
	return {
		async send(device: PushDevice, message: PushMessage): Promise<PushOutcome> {
			if (!device.web_keys) return { kind: 'dead', reason: 'Web Push: the subscription has no keys' };
			const payload = JSON.stringify({
				title: message.title,
				body: message.body,
				badge: message.badge,
				tag: message.collapseId,
				data: message.data,
			});
			const details = webPush.generateRequestDetails({ endpoint: device.token, keys: device.web_keys }, payload, {
				vapidDetails: { subject: config.subject, publicKey: config.publicKey, privateKey: config.privateKey },
				TTL: 24 * 3600,
				topic: message.collapseId,
				urgency: 'normal',
			});
			const response = await fetchImpl(details.endpoint, {
				method: details.method,
				headers: details.headers as Record<string, string>,
				body: details.body ?? undefined,
				// The endpoint was checked against the allow-list when registered: a redirect must not lead elsewhere.
				redirect: 'error',
			}).catch((error: Error) => error);
			if (response instanceof Error) return { kind: 'retry', reason: `Web Push: ${response.message}`, retryAfterSeconds: null };
			if (response.status >= 200 && response.status < 300) return { kind: 'sent', ref: response.headers.get('location') };
			if (response.status === 404 || response.status === 410) return { kind: 'dead', reason: `Web Push ${response.status}` };
			if (transient(response.status))
				return {
					kind: 'retry',
					reason: `Web Push ${response.status}`,
					retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after'), new Date()),
				};
			return { kind: 'failed', reason: `Web Push ${response.status}` };
		},
	};
}
