import http2 from 'node:http2';
import jwt from 'jsonwebtoken';
import { parseRetryAfter } from '../../domain/delivery-timing.js';
import { topicOf } from '../../domain/push-message.js';
import type { ApnsConfig } from '../config.js';
import { transient, type PushDevice, type PushMessage, type PushOutcome, type PushProvider } from './provider.js';

/** Reasons Apple gives for a token that will never work again. */
const DEAD_REASONS = ['BadDeviceToken', 'Unregistered', 'DeviceTokenNotForTopic', 'ExpiredToken'];
/** Apple refuses provider tokens refreshed more than once per 20 minutes and older than an hour. */
const TOKEN_REFRESH_MS = 40 * 60_000;

/**
 * Apple Push Notification service over HTTP/2 with token (JWT, ES256) authentication: one connection per
 * process, reused for every push, `POST /3/device/<token>`.
 */
export function createApnsProvider(config: ApnsConfig): PushProvider {
	let session: http2.ClientHttp2Session | null = null;
	let providerToken: { value: string; at: number } | null = null;

	const bearer = () => {
		if (!providerToken || Date.now() - providerToken.at > TOKEN_REFRESH_MS) {
			const value = jwt.sign({ iss: config.teamId, iat: Math.floor(Date.now() / 1000) }, config.privateKey, {
				algorithm: 'ES256',
				keyid: config.keyId,
			});
			providerToken = { value, at: Date.now() };
		}
		return providerToken.value;
	};

	const connection = () => {
		if (session && !session.closed && !session.destroyed) return session;
		const opened = http2.connect(config.host);
		opened.on('error', () => {
			if (session === opened) session = null;
		});
		opened.on('goaway', () => {
			if (session === opened) session = null;
		});
		opened.on('close', () => {
			if (session === opened) session = null;
		});
		session = opened;
		return opened;
	};

	function request(
		device: PushDevice,
		message: PushMessage,
	): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
		return new Promise((resolve, reject) => {
			const alert = message.body === null ? { title: message.title } : { title: message.title, body: message.body };
			const stream = connection().request({
				':method': 'POST',
				':path': `/3/device/${encodeURIComponent(device.token)}`,
				authorization: `bearer ${bearer()}`,
				'apns-topic': topicOf(device.app_id, config.topics) ?? '',
				'apns-push-type': 'alert',
				'apns-priority': '10',
				'apns-collapse-id': message.collapseId,
				'content-type': 'application/json',
			});
			let headers: http2.IncomingHttpHeaders = {};
			let body = '';
			stream.setEncoding('utf8');
			stream.setTimeout(15_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
			stream.on('response', (received) => (headers = received));
			stream.on('data', (chunk: string) => (body += chunk));
			stream.on('end', () => resolve({ status: Number(headers[':status'] ?? 0), headers, body }));
			stream.on('error', reject);
			stream.on('close', () => {
				if (!headers[':status']) reject(new Error('APNs closed the stream without an answer'));
			});
			stream.end(
				JSON.stringify({ aps: { alert, badge: message.badge, sound: 'default', 'thread-id': message.data['group'] }, ...message.data }),
			);
		});
	}

	return {
		async send(device, message): Promise<PushOutcome> {
			if (!topicOf(device.app_id, config.topics))
				return { kind: 'failed', reason: 'APNs: no topic (COMMUNITY_APNS_TOPIC) for this device' };
			const answer = await request(device, message).catch((error: Error) => error);
			if (answer instanceof Error) return { kind: 'retry', reason: `APNs: ${answer.message}`, retryAfterSeconds: null };
			if (answer.status === 200) return { kind: 'sent', ref: String(answer.headers['apns-id'] ?? '') || null };
			const reason = (() => {
				try {
					return String((JSON.parse(answer.body) as { reason?: string }).reason ?? answer.status);
				} catch {
					return String(answer.status);
				}
			})();
			if (answer.status === 410 || DEAD_REASONS.includes(reason)) return { kind: 'dead', reason: `APNs ${reason}` };
			if (reason === 'ExpiredProviderToken' || reason === 'InvalidProviderToken') {
				providerToken = null;
				return { kind: 'retry', reason: `APNs ${reason}`, retryAfterSeconds: null };
			}
			if (transient(answer.status)) {
				const retryAfter = answer.headers['retry-after'];
				return {
					kind: 'retry',
					reason: `APNs ${reason}`,
					retryAfterSeconds: parseRetryAfter(retryAfter ? String(retryAfter) : null, new Date()),
				};
			}
			return { kind: 'failed', reason: `APNs ${reason}` };
		},
		async close() {
			const open = session;
			session = null;
			if (open && !open.closed) await new Promise<void>((resolve) => open.close(() => resolve()));
		},
	};
}
