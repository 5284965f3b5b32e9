import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import webPush from 'web-push';
import { Api, eventually, login } from './api.js';
import type { DirectusInstance } from './directus-instance.js';
import { startMailSink, type MailSink } from './mail.js';
import { startApnsFake, startFcmFake, startWebPushFake, type ApnsFake, type FcmFake, type WebPushFake } from './push-providers.js';

export const APNS_TOPIC = 'org.example.lms';
export const WEBHOOK_TOKEN = 'test-webhook-token-0123456789';

export interface DeliveryFakes {
	mail: MailSink;
	fcm: FcmFake;
	apns: ApnsFake;
	web: WebPushFake;
	/** Directus env that points the mailer and every push provider at the fakes, with short timers. */
	env: Record<string, string>;
	close(): Promise<void>;
}

/** The SMTP server and the three push providers of a test, and the env for instances that use them. */
export async function startDeliveryFakes(): Promise<DeliveryFakes> {
	const dir = mkdtempSync(path.join(tmpdir(), 'lms-community-delivery-'));
	const [mail, fcm, apns, web] = await Promise.all([
		startMailSink(),
		startFcmFake(),
		startApnsFake(APNS_TOPIC),
		startWebPushFake(webPush.generateVAPIDKeys()),
	]);
	const serviceAccount = path.join(dir, 'fcm-service-account.json');
	writeFileSync(serviceAccount, JSON.stringify(fcm.serviceAccount));
	const apnsKey = path.join(dir, 'apns-key.p8');
	writeFileSync(apnsKey, apns.privateKeyPem);
	const env = {
		COMMUNITY_EMAIL_ENABLED: 'true',
		COMMUNITY_EMAIL_DELAY_SECONDS: '2',
		COMMUNITY_EMAIL_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
		COMMUNITY_APP_URL: 'https://app.example.org',
		COMMUNITY_DELIVERY_INTERVAL_MS: '250',
		COMMUNITY_DELIVERY_RETRY_BASE_SECONDS: '1',
		EMAIL_TRANSPORT: 'smtp',
		EMAIL_SMTP_HOST: '127.0.0.1',
		EMAIL_SMTP_PORT: String(mail.port),
		EMAIL_SMTP_SECURE: 'false',
		EMAIL_SMTP_IGNORE_TLS: 'true',
		EMAIL_FROM: 'community@example.org',
		EMAIL_TEMPLATES_PATH: path.join(dir, 'templates'),
		COMMUNITY_FCM_SERVICE_ACCOUNT_FILE: serviceAccount,
		COMMUNITY_FCM_BASE_URL: fcm.url,
		COMMUNITY_APNS_KEY_FILE: apnsKey,
		COMMUNITY_APNS_KEY_ID: apns.keyId,
		COMMUNITY_APNS_TEAM_ID: apns.teamId,
		COMMUNITY_APNS_HOST: apns.url,
		COMMUNITY_APNS_TOPIC: APNS_TOPIC,
		COMMUNITY_VAPID_PUBLIC_KEY: web.vapid.publicKey,
		COMMUNITY_VAPID_PRIVATE_KEY: web.vapid.privateKey,
		COMMUNITY_VAPID_SUBJECT: 'mailto:ops@example.org',
		COMMUNITY_WEBPUSH_ALLOWED_HOSTS: web.url,
	};
	return {
		mail,
		fcm,
		apns,
		web,
		env,
		async close() {
			await Promise.all([mail.close(), fcm.close(), apns.close(), web.close()]);
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

export interface Person {
	id: string;
	email: string;
	name: string;
	api: Api;
}

/** People, a course and its group on an instance of the test's own (the global helpers use the global instance). */
export class DeliveryWorld {
	private constructor(
		readonly instance: DirectusInstance,
		readonly admin: Api,
	) {}

	static async on(instance: DirectusInstance): Promise<DeliveryWorld> {
		return new DeliveryWorld(instance, new Api(instance.url, await login(instance.admin.email, instance.admin.password, instance.url)));
	}

	async person(name: string): Promise<Person> {
		const [role] = await this.admin.ok<Array<{ id: string }>>('GET', '/roles?filter[name][_eq]=Student&fields=id');
		const email = `${name}-${randomBytes(4).toString('hex')}@example.com`;
		const password = randomBytes(9).toString('hex');
		const user = await this.admin.ok<{ id: string }>('POST', '/users', {
			email,
			password,
			first_name: name,
			last_name: 'Tester',
			role: role!.id,
			status: 'active',
		});
		return { id: user.id, email, name, api: new Api(this.instance.url, await login(email, password, this.instance.url)) };
	}

	/** A course with its group; the first person teaches it, the others are students who joined. */
	async group(teacher: Person, students: Person[]): Promise<number> {
		const code = `N-${randomBytes(3).toString('hex')}`.toUpperCase();
		const course = await this.admin.ok<{ id: number }>('POST', '/items/courses', { title: `Course ${code}`, code, status: 'published' });
		const group = await eventually(
			async () => (await this.admin.ok<Array<{ id: number }>>('GET', `/items/community_groups?filter[course][_eq]=${course.id}`))[0],
		);
		for (const [person, role] of [[teacher, 'instructor'], ...students.map((s) => [s, 'student'] as const)] as Array<[Person, string]>) {
			await this.admin.ok('POST', '/items/enrollments', { user: person.id, course: course.id, role, status: 'active' });
			const joined = await person.api.post(`/community/groups/${group.id}/join`);
			if (joined.status !== 200 && joined.status !== 409) throw new Error(`join: ${JSON.stringify(joined.body)}`);
		}
		return group.id;
	}

	async thread(author: Person, group: number, title = 'A question'): Promise<number> {
		return (await author.api.ok<{ id: number }>('POST', '/items/community_posts', { group, title, body: `Body of ${title}` })).id;
	}

	async reply(author: Person, group: number, parent: number, body = 'An answer'): Promise<number> {
		return (await author.api.ok<{ id: number }>('POST', '/items/community_posts', { group, parent, body })).id;
	}

	/** The outbox rows about `post` for `recipient`, once `expected` of them are queued (the queueing runs after the answer). */
	async queued(recipient: Person, post: number, expected = 1): Promise<number[]> {
		return eventually(
			async () => {
				const notifications = await this.admin.ok<Array<{ id: number }>>(
					'GET',
					`/items/community_notifications?filter[recipient][_eq]=${recipient.id}&filter[post][_eq]=${post}&fields=id`,
				);
				if (notifications.length === 0) return null;
				const rows = await this.admin.ok<Array<{ id: number }>>(
					'GET',
					`/items/community_deliveries?filter[notification][_in]=${notifications.map((n) => n.id).join(',')}&fields=id&limit=-1`,
				);
				return rows.length >= expected ? rows.map((row) => row.id).sort((a, b) => a - b) : null;
			},
			10_000,
			`${expected} deliveries about post ${post} queued`,
		);
	}

	/** These outbox rows once none is pending any more (sent, skipped or failed). */
	async settledRows(ids: number[], timeoutMs = 20_000): Promise<any[]> {
		return eventually(
			async () => {
				const rows = await this.admin.ok<any[]>('GET', `/items/community_deliveries?filter[id][_in]=${ids.join(',')}&sort=id&limit=-1`);
				return rows.every((row) => row.status !== 'pending') ? rows : null;
			},
			timeoutMs,
			`deliveries ${ids.join(',')} settled`,
		);
	}

	async settled(recipient: Person, post: number, expected = 1): Promise<any[]> {
		return this.settledRows(await this.queued(recipient, post, expected));
	}
}
