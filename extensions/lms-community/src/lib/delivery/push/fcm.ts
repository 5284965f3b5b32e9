import jwt from 'jsonwebtoken';
import { parseRetryAfter } from '../../domain/delivery-timing.js';
import type { FcmConfig } from '../config.js';
import { transient, type PushDevice, type PushMessage, type PushOutcome, type PushProvider } from './provider.js';

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

/**
 * Firebase Cloud Messaging, HTTP v1 API: an OAuth2 access token from the service account's signed JWT
 * (RFC 7523 bearer grant), then `POST /v1/projects/{project}/messages:send`. A thin client rather than the
 * Admin SDK, whose endpoints cannot be pointed elsewhere.
 */
export function createFcmProvider(config: FcmConfig, fetchImpl: typeof fetch = fetch): PushProvider {
	let cached: { token: string; expiresAt: number } | null = null;
	// One token request at a time: the pushes of a round share it instead of each asking for their own.
	let pending: Promise<string> | null = null;

	async function requestToken(): Promise<string> {
		const now = Math.floor(Date.now() / 1000);
		const assertion = jwt.sign(
			{ iss: config.clientEmail, scope: SCOPE, aud: config.tokenUrl, iat: now, exp: now + 3600 },
			config.privateKey,
			{
				algorithm: 'RS256',
			},
		);
		const response = await fetchImpl(config.tokenUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
		});
		if (!response.ok) throw new Error(`FCM OAuth token request answered ${response.status}`);
		const body = (await response.json()) as { access_token: string; expires_in?: number };
		cached = { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000 };
		return cached.token;
	}

	async function accessToken(): Promise<string> {
		if (cached && cached.expiresAt > Date.now() + 60_000) return cached.token;
		pending ??= requestToken().finally(() => (pending = null));
		return pending;
	}

	return {
		async send(device: PushDevice, message: PushMessage): Promise<PushOutcome> {
			let token: string;
			try {
				token = await accessToken();
			} catch (error) {
				return { kind: 'retry', reason: (error as Error).message, retryAfterSeconds: null };
			}
			const notification = message.body === null ? { title: message.title } : { title: message.title, body: message.body };
			const response = await fetchImpl(`${config.baseUrl}/v1/projects/${encodeURIComponent(config.projectId)}/messages:send`, {
				method: 'POST',
				headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
				body: JSON.stringify({
					message: {
						token: device.token,
						notification,
						data: message.data,
						android: { collapse_key: message.collapseId, notification: { notification_count: message.badge, tag: message.collapseId } },
						apns: { payload: { aps: { badge: message.badge } } },
					},
				}),
			}).catch((error: Error) => error);
			if (response instanceof Error) return { kind: 'retry', reason: response.message, retryAfterSeconds: null };
			if (response.ok) return { kind: 'sent', ref: ((await response.json()) as { name?: string }).name ?? null };
			const error = ((await response.json().catch(() => ({}))) as { error?: { status?: string; details?: Array<{ errorCode?: string }> } })
				.error;
			const code = error?.details?.find((detail) => detail.errorCode)?.errorCode ?? error?.status ?? String(response.status);
			if (code === 'UNREGISTERED' || response.status === 404) return { kind: 'dead', reason: `FCM ${code}` };
			if (response.status === 401) {
				cached = null;
				return { kind: 'retry', reason: 'FCM refused the access token', retryAfterSeconds: null };
			}
			if (transient(response.status))
				return {
					kind: 'retry',
					reason: `FCM ${code}`,
					retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after'), new Date()),
				};
			return { kind: 'failed', reason: `FCM ${code}` };
		},
	};
}
