import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, eventually } from '../support/api.js';
import { APNS_TOPIC, DeliveryWorld, startDeliveryFakes, WEBHOOK_TOKEN, type DeliveryFakes, type Person } from '../support/delivery.js';
import { startDirectusInstance, type DirectusInstance, type TestDatabase } from '../support/directus-instance.js';

/**
 * Notifications that leave the server (docs/notifications.md), end to end: an instance of the test's own
 * whose mailer talks to a real SMTP server in the test and whose push providers are local servers speaking
 * FCM HTTP v1, APNs over HTTP/2 and Web Push. Every "did not happen" is read from the outbox row that
 * records why (skipped, with its reason): the outbox is the only way out.
 */
describe('notification delivery: e-mail and push', () => {
	let fakes: DeliveryFakes;
	let instance: DirectusInstance;
	let world: DeliveryWorld;
	let teacher: Person;
	let ada: Person;
	let bob: Person;
	let group: number;
	const errorCode = (response: { body: any }) => response.body?.errors?.[0]?.extensions?.code;
	/** A header as sent (mailparser folds List-* headers into one structured `list` value). */
	const rawHeader = (mail: ParsedMail, name: string) =>
		mail.headerLines
			.find((line) => line.key === name)
			?.line.replace(/^[^:]+:\s*/, '')
			.replace(/\r?\n\s+/g, '');

	beforeAll(async () => {
		fakes = await startDeliveryFakes();
		instance = await startDirectusInstance({ db: (process.env.TEST_DB as TestDatabase) ?? 'sqlite', env: fakes.env });
		world = await DeliveryWorld.on(instance);
		[teacher, ada, bob] = await Promise.all([world.person('teacher'), world.person('ada'), world.person('bob')]);
		group = await world.group(teacher, [ada, bob]);
	}, 180_000);

	afterAll(async () => {
		await instance?.stop();
		await fakes?.close();
	});

	describe('devices', () => {
		it('registers, moves a token to its new owner, refuses bad input, and forgets on delete', async () => {
			const anonymous = new Api(instance.url);
			expect((await anonymous.post('/community/devices', { token: 'fcm-token-123456', platform: 'android' })).status).toBe(401);
			const badPlatform = await ada.api.post('/community/devices', { token: 'fcm-token-123456', platform: 'symbian' });
			expect([badPlatform.status, errorCode(badPlatform)]).toEqual([400, 'INVALID_PAYLOAD']);
			const extra = await ada.api.post('/community/devices', { token: 'fcm-token-123456', platform: 'android', user: bob.id });
			expect([extra.status, errorCode(extra)]).toEqual([403, 'FIELD_NOT_ALLOWED']);
			const foreign = await ada.api.post('/community/devices', {
				token: 'https://169.254.169.254/latest/meta-data',
				platform: 'web',
				keys: { p256dh: 'x'.repeat(20), auth: 'y'.repeat(10) },
			});
			expect([foreign.status, errorCode(foreign)]).toEqual([400, 'INVALID_PAYLOAD']);

			const token = `shared-${Date.now()}`;
			await ada.api.ok('POST', '/community/devices', { token, platform: 'android', app_id: 'org.example.lms' });
			await bob.api.ok('POST', '/community/devices', { token, platform: 'android', app_id: 'org.example.lms' });
			const [row] = await world.admin.ok<any[]>('GET', `/items/community_devices?filter[token][_eq]=${token}`);
			expect(row.user).toBe(bob.id);
			// Members never read devices through Directus: only their own, through /community.
			expect((await bob.api.get('/items/community_devices?limit=10')).status).toBe(403);
			expect(await ada.api.ok('DELETE', `/community/devices/${encodeURIComponent(token)}`)).toEqual({ removed: 0 });
			expect(await bob.api.ok('DELETE', `/community/devices/${encodeURIComponent(token)}`)).toEqual({ removed: 1 });
		});
	});

	describe('settings', () => {
		it('reads and changes only what is sent; refuses what is not a setting', async () => {
			const before = await bob.api.ok('GET', '/community/me/notification-settings');
			expect(before.effective.email).toMatchObject({ enabled: true, cadence: 'delay' });
			const changed = await bob.api.ok('PATCH', '/community/me/notification-settings', {
				push: { kinds: ['mentions'] },
				quiet_hours: { start: '22:00', end: '07:00' },
				timezone: 'Europe/Berlin',
			});
			expect(changed.settings).toEqual({
				push: { kinds: ['mentions'] },
				quiet_hours: { start: '22:00', end: '07:00' },
				timezone: 'Europe/Berlin',
			});
			expect(changed.effective.push).toEqual({ enabled: true, kinds: ['mentions'] });
			const again = await bob.api.ok('PATCH', '/community/me/notification-settings', {
				quiet_hours: null,
				push: { kinds: ['mentions', 'replies'] },
			});
			expect(again.settings).toEqual({ push: { kinds: ['mentions', 'replies'] }, quiet_hours: null, timezone: 'Europe/Berlin' });

			for (const [payload, status, code] of [
				[{ email: { cadence: 'weekly' } }, 400, 'INVALID_PAYLOAD'],
				[{ timezone: 'Mars/Olympus' }, 400, 'INVALID_PAYLOAD'],
				[{ sms: true }, 403, 'FIELD_NOT_ALLOWED'],
				[[1, 2], 400, 'INVALID_PAYLOAD'],
			] as const) {
				const refused = await bob.api.patch('/community/me/notification-settings', payload);
				expect([refused.status, errorCode(refused)], JSON.stringify(payload)).toEqual([status, code]);
			}
			expect((await new Api(instance.url).get('/community/me/notification-settings')).status).toBe(401);
			expect((await bob.api.get('/items/community_notification_settings?limit=10')).status).toBe(403);
			await bob.api.ok('PATCH', '/community/me/notification-settings', {
				push: { kinds: ['mentions', 'replies', 'reactions', 'moderation'] },
				quiet_hours: null,
			});
		});

		it('lets the course’s instructors set defaults; students and outsiders cannot', async () => {
			const outsider = await world.person('outsider');
			expect(errorCode(await outsider.api.get(`/community/groups/${group}/notification-defaults`))).toBe('FORBIDDEN');
			const student = await ada.api.patch(`/community/groups/${group}/notification-defaults`, { push_preview: true });
			expect([student.status, errorCode(student)]).toEqual([403, 'NOT_INSTRUCTOR']);
			const set = await teacher.api.ok('PATCH', `/community/groups/${group}/notification-defaults`, {
				defaults: { email: { cadence: 'hourly' } },
			});
			expect(set).toMatchObject({ defaults: { email: { cadence: 'hourly' } }, push_preview: false });
			expect((await ada.api.ok('GET', `/community/groups/${group}/notification-defaults`)).effective.email.cadence).toBe('hourly');
			await teacher.api.ok('PATCH', `/community/groups/${group}/notification-defaults`, { defaults: null });
			expect((await ada.api.ok('GET', `/community/groups/${group}/notification-defaults`)).effective.email.cadence).toBe('delay');
		});
	});

	describe('e-mail', () => {
		it('sends what is still unread after the delay, once, batched, with one-click unsubscribe headers', async () => {
			const thread = await world.thread(ada, group, 'Eigenvalues');
			const readFirst = await world.reply(bob, group, thread, 'First answer');
			const readFirstRows = await world.queued(ada, readFirst);
			await ada.api.ok('POST', '/community/notifications/read', { all: true });
			const second = await world.reply(bob, group, thread, 'Second answer');
			const third = await world.reply(teacher, group, thread, 'Third answer');

			const [skipped] = await world.settledRows(readFirstRows);
			expect(skipped).toMatchObject({ channel: 'email', status: 'skipped', last_error: 'read before it was sent' });
			const [sentSecond] = await world.settled(ada, second, 1);
			const [sentThird] = await world.settled(ada, third, 1);
			expect(sentSecond.status).toBe('sent');
			// One e-mail for both: the same message, recorded on both rows.
			expect(sentThird).toMatchObject({ status: 'sent', sent_ref: sentSecond.sent_ref });

			const mails = await eventually(async () => (fakes.mail.to(ada.email).length > 0 ? fakes.mail.to(ada.email) : null), 5_000);
			expect(mails).toHaveLength(1);
			const { mail } = mails[0]!;
			expect(mail.to && 'value' in mail.to ? mail.to.value.map((a) => a.address) : []).toEqual([ada.email]);
			expect(mail.from?.value[0]?.address).toBe('community@example.org');
			expect(mail.subject).toMatch(/^2 new notifications in /);
			expect(mail.messageId).toBe(sentSecond.sent_ref);
			expect(mail.text).toContain('bob Tester replied in');
			expect(mail.text).toContain('teacher Tester replied in');
			expect(mail.text).toContain(`https://app.example.org/groups/${group}/posts/${second}`);
			expect(mail.text).not.toContain(`/posts/${readFirst}`);
			expect(mail.html).toContain('Eigenvalues');
			expect(mail.html).toContain('Second answer');
			const unsubscribe = rawHeader(mail, 'list-unsubscribe');
			expect(unsubscribe).toMatch(new RegExp(`^<${instance.url}/community/email/unsubscribe\\?u=${ada.id}&s=[\\w-]+>$`));
			expect(rawHeader(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
		});

		it('sends nothing about a post deleted, or a group left, before the e-mail went out', async () => {
			const thread = await world.thread(bob, group, 'Deleted before');
			const reply = await world.reply(ada, group, thread, 'Soon gone');
			const queued = await world.queued(bob, reply);
			await ada.api
				.ok('DELETE', `/items/community_posts/${reply}`)
				.catch(() => ada.api.ok('PATCH', `/items/community_posts/${reply}`, { status: 'deleted' }));
			const [row] = await world.settledRows(queued);
			expect(row).toMatchObject({ status: 'skipped' });
			expect(row.last_error).toMatch(/no longer visible|deleted/);

			const leaver = await world.person('leaver');
			const otherGroup = await world.group(teacher, [leaver]);
			const own = await world.thread(leaver, otherGroup, 'I will leave');
			const answer = await world.reply(teacher, otherGroup, own);
			const queuedForLeaver = await world.queued(leaver, answer);
			await leaver.api.ok('POST', `/community/groups/${otherGroup}/leave`);
			const [left] = await world.settledRows(queuedForLeaver);
			expect(left).toMatchObject({ status: 'skipped', last_error: 'the recipient no longer reads the group' });
			expect(fakes.mail.to(leaver.email)).toHaveLength(0);
		});

		it('GET on the unsubscribe link only shows a page; POST unsubscribes without a login; a forged link does nothing', async () => {
			const carol = await world.person('carol');
			const carolGroup = await world.group(teacher, [carol]);
			const thread = await world.thread(carol, carolGroup, 'Unsubscribe me');
			const first = await world.reply(teacher, carolGroup, thread);
			await world.settled(carol, first, 1);
			const mail = await eventually(async () => fakes.mail.to(carol.email)[0], 5_000, 'the e-mail');
			const link = String(rawHeader(mail.mail, 'list-unsubscribe')).replace(/^<|>$/g, '');

			const page = await fetch(link);
			expect(page.status).toBe(200);
			expect(await page.text()).toContain('<form method="post">');
			expect((await carol.api.ok('GET', '/community/me/notification-settings')).effective.email.enabled).toBe(true);

			const forged = await fetch(link.replace(/s=[^&]+/, 's=forged'), { method: 'POST' });
			expect(forged.status).toBe(400);
			const otherUser = await fetch(link.replace(carol.id, ada.id), { method: 'POST' });
			expect(otherUser.status).toBe(400);
			expect((await carol.api.ok('GET', '/community/me/notification-settings')).effective.email.enabled).toBe(true);

			const oneClick = await fetch(link, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: 'List-Unsubscribe=One-Click',
			});
			expect(oneClick.status).toBe(200);
			expect((await carol.api.ok('GET', '/community/me/notification-settings')).effective.email.enabled).toBe(false);

			// Unsubscribed: the next notification queues no e-mail at all (its push row shows it was handled).
			await carol.api.ok('POST', '/community/devices', { token: `carol-${Date.now()}`, platform: 'android' });
			const second = await world.reply(teacher, carolGroup, thread);
			const rows = await world.settled(carol, second, 1);
			expect(rows.map((row) => row.channel)).toEqual(['push']);
			expect(fakes.mail.to(carol.email)).toHaveLength(1);
		});

		it('stops e-mail to an address reported as bouncing (webhook token or admin only)', async () => {
			const dave = await world.person('dave');
			const daveGroup = await world.group(teacher, [dave]);
			const report = { email: dave.email.toUpperCase(), reason: 'bounce' };
			const anonymous = new Api(instance.url);
			expect((await anonymous.post('/community/email/suppressions', report)).status).toBe(401);
			expect((await dave.api.post('/community/email/suppressions', report)).status).toBe(403);
			const wrong = await fetch(`${instance.url}/community/email/suppressions`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-community-webhook-token': 'nope' },
				body: JSON.stringify(report),
			});
			expect(wrong.status).toBe(401);
			const bad = await world.admin.post('/community/email/suppressions', { email: 'not an address', reason: 'bounce' });
			expect([bad.status, errorCode(bad)]).toEqual([400, 'INVALID_PAYLOAD']);
			const accepted = await fetch(`${instance.url}/community/email/suppressions`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-community-webhook-token': WEBHOOK_TOKEN },
				body: JSON.stringify(report),
			});
			expect([accepted.status, await accepted.json()]).toEqual([200, { data: { users: 1 } }]);
			expect((await dave.api.ok('GET', '/community/me/notification-settings')).email_suppressed).toBe(true);

			const thread = await world.thread(dave, daveGroup, 'Bounced');
			const reply = await world.reply(teacher, daveGroup, thread);
			const [row] = await world.settled(dave, reply, 1);
			expect(row).toMatchObject({ status: 'skipped', last_error: 'the address is suppressed (bounce)' });
			expect(fakes.mail.to(dave.email)).toHaveLength(0);
		});
	});

	describe('privacy', () => {
		it('erasure removes the person’s devices, settings and outbox rows', async () => {
			const gina = await world.person('gina');
			const ginaGroup = await world.group(teacher, [gina]);
			await gina.api.ok('POST', '/community/devices', { token: `gina-${Date.now()}`, platform: 'android' });
			await gina.api.ok('PATCH', '/community/me/notification-settings', { timezone: 'Europe/Berlin' });
			const thread = await world.thread(gina, ginaGroup, 'Forget me');
			await world.settled(gina, await world.reply(teacher, ginaGroup, thread), 2);

			const erased = await world.admin.ok('POST', `/community/users/${gina.id}/erase`, {});
			expect(erased.counts.delivery_records_removed).toBe(4);
			for (const [collection, field] of [
				['community_devices', 'user'],
				['community_notification_settings', 'user'],
				['community_deliveries', 'recipient'],
			])
				expect(await world.admin.ok<any[]>('GET', `/items/${collection}?filter[${field}][_eq]=${gina.id}`), collection).toEqual([]);
		});
	});

	describe('push', () => {
		it('reaches FCM, APNs and Web Push with the badge and without the text; with the text once the course allows it', async () => {
			const erin = await world.person('erin');
			const erinGroup = await world.group(teacher, [erin]);
			const browser = `erin-${Date.now()}`;
			const subscription = fakes.web.subscribe(browser);
			const android = `fcm-erin-${Date.now()}`;
			const ios = `a1b2c3d4e5f6${Date.now()}`;
			await erin.api.ok('POST', '/community/devices', { token: android, platform: 'android', app_id: 'org.example.lms' });
			await erin.api.ok('POST', '/community/devices', { token: ios, platform: 'ios', app_id: APNS_TOPIC });
			await erin.api.ok('POST', '/community/devices', { token: subscription.endpoint, platform: 'web', keys: subscription.keys });
			await erin.api.ok('PATCH', '/community/me/notification-settings', { email: { enabled: false } });

			const thread = await world.thread(erin, erinGroup, 'Push me');
			const reply = await world.reply(teacher, erinGroup, thread, 'The secret answer');
			const rows = await world.settled(erin, reply, 3);
			expect(rows.map((row) => [row.channel, row.status])).toEqual([
				['push', 'sent'],
				['push', 'sent'],
				['push', 'sent'],
			]);

			const fcm = fakes.fcm.received.find((push) => push.token === android)!;
			expect(fcm.payload.message.notification).toEqual({ title: expect.stringMatching(/^teacher Tester replied in /) });
			expect(fcm.payload.message.android.notification.notification_count).toBe(1);
			expect(fcm.payload.message.data).toMatchObject({
				group: String(erinGroup),
				type: 'post_reply',
				url: `https://app.example.org/groups/${erinGroup}/posts/${reply}`,
			});
			const apns = fakes.apns.received.find((push) => push.token === ios)!;
			expect(apns.headers['apns-topic']).toBe(APNS_TOPIC);
			expect(apns.headers['apns-push-type']).toBe('alert');
			expect(apns.payload.aps).toMatchObject({ badge: 1, alert: { title: expect.stringMatching(/replied in/) } });
			expect(apns.payload.aps.alert.body).toBeUndefined();
			const web = fakes.web.received.find((push) => push.token === browser)!;
			expect(web.payload).toMatchObject({ title: expect.stringMatching(/replied in/), body: null, badge: 1 });
			expect(JSON.stringify([fcm.payload, apns.payload, web.payload])).not.toContain('secret answer');

			await teacher.api.ok('PATCH', `/community/groups/${erinGroup}/notification-defaults`, { push_preview: true });
			const second = await world.reply(teacher, erinGroup, thread, 'Visible answer');
			await world.settled(erin, second, 3);
			const withText = fakes.fcm.received.filter((push) => push.token === android).at(-1)!;
			expect(withText.payload.message.notification.body).toBe('Visible answer');
			expect(withText.payload.message.android.notification.notification_count).toBe(2);
		});

		it('removes a device the provider calls unregistered, and retries after a 503 honouring Retry-After', async () => {
			const finn = await world.person('finn');
			const finnGroup = await world.group(teacher, [finn]);
			const stamp = Date.now();
			await finn.api.ok('POST', '/community/devices', { token: `dead-fcm-${stamp}`, platform: 'android' });
			await finn.api.ok('POST', '/community/devices', { token: `dead-apns-${stamp}`, platform: 'ios', app_id: APNS_TOPIC });
			await finn.api.ok('POST', '/community/devices', { token: `flaky-fcm-${stamp}`, platform: 'android' });
			await finn.api.ok('PATCH', '/community/me/notification-settings', { email: { enabled: false } });

			const thread = await world.thread(finn, finnGroup, 'Dead tokens');
			const reply = await world.reply(teacher, finnGroup, thread);
			const rows = await world.settled(finn, reply, 3);
			const byError = rows.map((row) => [row.status, row.attempts, row.last_error]);
			expect(byError).toEqual(
				expect.arrayContaining([
					['skipped', 1, 'FCM UNREGISTERED: the device was removed'],
					['skipped', 1, 'APNs Unregistered: the device was removed'],
					['sent', 2, null],
				]),
			);
			const devices = await world.admin.ok<any[]>('GET', `/items/community_devices?filter[user][_eq]=${finn.id}`);
			expect(devices.map((device) => device.token)).toEqual([`flaky-fcm-${stamp}`]);
			const flaky = fakes.fcm.received.filter((push) => push.token === `flaky-fcm-${stamp}`);
			expect(flaky.map((push) => push.status)).toEqual([503, 200]);
		});
	});
});
