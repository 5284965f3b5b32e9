import { readFileSync } from 'node:fs';
import type { Backoff } from '../domain/delivery-timing.js';
import { DEFAULT_WEB_PUSH_HOSTS } from '../domain/push-message.js';

/** The outbox and its senders, read once from Directus's env (docs/notifications.md lists every key). */
export interface DeliveryConfig {
	/** COMMUNITY_DELIVERY_INTERVAL_MS (10000): how often each instance looks for due deliveries. */
	intervalMs: number;
	/** COMMUNITY_DELIVERY_BATCH (100): deliveries claimed per round. */
	batchSize: number;
	/** COMMUNITY_DELIVERY_LEASE_SECONDS (120): a claim lapses after this (an instance that died mid-send). */
	leaseSeconds: number;
	/** COMMUNITY_DELIVERY_MAX_ATTEMPTS (8): then the delivery is marked failed. */
	maxAttempts: number;
	/** COMMUNITY_DELIVERY_RETRY_BASE_SECONDS (30), COMMUNITY_DELIVERY_RETRY_MAX_SECONDS (3600). */
	backoff: Backoff;
	/** COMMUNITY_DELIVERY_KEEP_DAYS (30): finished rows (sent, skipped, failed) are removed this long after; 0 keeps them. */
	keepDays: number;
	/** COMMUNITY_EMAIL_ENABLED (false): missed-activity e-mail through Directus's mailer (EMAIL_*). */
	emailEnabled: boolean;
	/** COMMUNITY_EMAIL_DELAY_SECONDS (900): a notification is e-mailed only if still unread this long after. */
	emailDelaySeconds: number;
	/** COMMUNITY_EMAIL_WEBHOOK_TOKEN: lets a mail provider report bounces and complaints without a Directus login. */
	emailWebhookToken: string | null;
	/** PUBLIC_URL: where the unsubscribe links point. */
	publicUrl: string;
	/** COMMUNITY_APP_URL (PUBLIC_URL): the app the e-mails and pushes link into. */
	appUrl: string;
	/** SECRET: signs unsubscribe links. */
	secret: string;
	fcm: FcmConfig | null;
	apns: ApnsConfig | null;
	webPush: WebPushConfig | null;
}

export interface FcmConfig {
	projectId: string;
	clientEmail: string;
	privateKey: string;
	/** The service account's token_uri, or COMMUNITY_FCM_TOKEN_URL. */
	tokenUrl: string;
	/** COMMUNITY_FCM_BASE_URL (https://fcm.googleapis.com). */
	baseUrl: string;
}

export interface ApnsConfig {
	keyId: string;
	teamId: string;
	privateKey: string;
	/** COMMUNITY_APNS_HOST (https://api.push.apple.com; https://api.sandbox.push.apple.com for development builds). */
	host: string;
	/**
	 * COMMUNITY_APNS_TOPIC: the school's bundle ids, comma-separated. A device's `app_id` is used as the topic
	 * only when it is one of them (a member must not point the school's APNs key at another app); the first is
	 * the default.
	 */
	topics: string[];
}

export interface WebPushConfig {
	publicKey: string;
	privateKey: string;
	subject: string;
	/** COMMUNITY_WEBPUSH_ALLOWED_HOSTS (the browsers' push services): subscription endpoints the server will call. */
	allowedHosts: string[];
}

type Env = Record<string, unknown>;

const text = (env: Env, key: string): string | null => {
	const value = env[key];
	return value === undefined || value === null || value === '' ? null : String(value);
};
const number = (env: Env, key: string, fallback: number): number => {
	const value = Number(env[key] ?? fallback);
	return Number.isFinite(value) && value >= 0 ? value : fallback;
};
const flag = (env: Env, key: string): boolean => String(env[key] ?? 'false') === 'true';
const trimSlash = (url: string) => url.replace(/\/+$/, '');

function readFcm(env: Env): FcmConfig | null {
	const file = text(env, 'COMMUNITY_FCM_SERVICE_ACCOUNT_FILE');
	if (!file) return null;
	// The JSON key file Google hands out for a service account.
	const account = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
	return {
		projectId: text(env, 'COMMUNITY_FCM_PROJECT_ID') ?? account['project_id']!,
		clientEmail: account['client_email']!,
		privateKey: account['private_key']!,
		tokenUrl: text(env, 'COMMUNITY_FCM_TOKEN_URL') ?? account['token_uri'] ?? 'https://oauth2.googleapis.com/token',
		baseUrl: trimSlash(text(env, 'COMMUNITY_FCM_BASE_URL') ?? 'https://fcm.googleapis.com'),
	};
}

function readApns(env: Env): ApnsConfig | null {
	const file = text(env, 'COMMUNITY_APNS_KEY_FILE');
	const keyId = text(env, 'COMMUNITY_APNS_KEY_ID');
	const teamId = text(env, 'COMMUNITY_APNS_TEAM_ID');
	if (!file || !keyId || !teamId) return null;
	return {
		keyId,
		teamId,
		privateKey: readFileSync(file, 'utf8'),
		host: trimSlash(text(env, 'COMMUNITY_APNS_HOST') ?? 'https://api.push.apple.com'),
		topics: (text(env, 'COMMUNITY_APNS_TOPIC') ?? '')
			.split(',')
			.map((topic) => topic.trim())
			.filter((topic) => topic.length > 0),
	};
}

function readWebPush(env: Env): WebPushConfig | null {
	const publicKey = text(env, 'COMMUNITY_VAPID_PUBLIC_KEY');
	const privateKey = text(env, 'COMMUNITY_VAPID_PRIVATE_KEY');
	const subject = text(env, 'COMMUNITY_VAPID_SUBJECT');
	const hosts = text(env, 'COMMUNITY_WEBPUSH_ALLOWED_HOSTS');
	const allowedHosts = hosts
		? hosts
				.split(',')
				.map((host) => host.trim())
				.filter(Boolean)
		: [...DEFAULT_WEB_PUSH_HOSTS];
	return publicKey && privateKey && subject ? { publicKey, privateKey, subject, allowedHosts } : null;
}

export function readDeliveryConfig(env: Env): DeliveryConfig {
	const publicUrl = trimSlash(text(env, 'PUBLIC_URL') ?? 'http://localhost:8055');
	return {
		intervalMs: Math.max(100, number(env, 'COMMUNITY_DELIVERY_INTERVAL_MS', 10_000)),
		batchSize: Math.max(1, number(env, 'COMMUNITY_DELIVERY_BATCH', 100)),
		leaseSeconds: Math.max(1, number(env, 'COMMUNITY_DELIVERY_LEASE_SECONDS', 120)),
		maxAttempts: Math.max(1, number(env, 'COMMUNITY_DELIVERY_MAX_ATTEMPTS', 8)),
		backoff: {
			baseSeconds: number(env, 'COMMUNITY_DELIVERY_RETRY_BASE_SECONDS', 30),
			maxSeconds: number(env, 'COMMUNITY_DELIVERY_RETRY_MAX_SECONDS', 3600),
		},
		keepDays: number(env, 'COMMUNITY_DELIVERY_KEEP_DAYS', 30),
		emailEnabled: flag(env, 'COMMUNITY_EMAIL_ENABLED'),
		emailDelaySeconds: number(env, 'COMMUNITY_EMAIL_DELAY_SECONDS', 900),
		emailWebhookToken: text(env, 'COMMUNITY_EMAIL_WEBHOOK_TOKEN'),
		publicUrl,
		appUrl: trimSlash(text(env, 'COMMUNITY_APP_URL') ?? publicUrl),
		secret: String(env['SECRET'] ?? ''),
		fcm: readFcm(env),
		apns: readApns(env),
		webPush: readWebPush(env),
	};
}

/** Whether any push provider is configured: without one, no push deliveries are queued. */
export const pushConfigured = (config: DeliveryConfig): boolean => Boolean(config.fcm || config.apns || config.webPush);
