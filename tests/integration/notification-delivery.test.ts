import type { Knex } from 'knex';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, eventually } from '../support/api.js';
import { openDatabase } from '../support/database.js';
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
	/** The instance's database, for what only time would do: age outbox rows, bring a due time forward. */
	let db: Knex;
	const errorCode = (response: { body: any }) => response.body?.errors?.[0]?.extensions?.code;
	/** A header as sent (mailparser folds List-* headers into one structured `list` value). */
	const rawHeader = (mail: ParsedMail, name: string) =>
		mail.headerLines
			.find((line) => line.key === name)
			?.line.replace(/^[^:]+:\s*/, '')
			.replace(/\r?\n\s+/g, '');

	beforeAll(async () => {
		fakes = await startDeliveryFakes();
		// The teacher answers more than the default 10 posts a minute here.
		instance = await startDirectusInstance({
			db: (process.env.TEST_DB as TestDatabase) ?? 'sqlite',
			env: { ...fakes.env, COMMUNITY_POST_LIMIT: '100000' },
		});
		world = await DeliveryWorld.on(instance);
		[teacher, ada, bob] = await Promise.all([world.person('teacher'), world.person('ada'), world.person('bob')]);
		group = await world.group(teacher, [ada, bob]);
		db = openDatabase(instance.configPath);
	}, 180_000);

	afterAll(async () => {
		await db?.destroy();
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

		it('export holds their devices (token shortened), settings and what was sent to them, as JSON and CSV', async () => {
			const hana = await world.person('hana');
			const ivan = await world.person('ivan');
			const hanaGroup = await world.group(teacher, [hana, ivan]);
			const stamp = Date.now();
			const android = `fcm-hana-${stamp}-${'x'.repeat(24)}-Zk3fT9qa`;
			const browser = fakes.web.subscribe(`hana-${stamp}`);
			const ivanToken = `fcm-ivan-${stamp}-secret`;
			await hana.api.ok('POST', '/community/devices', { token: android, platform: 'android', app_id: '=HYPERLINK("x")' });
			await hana.api.ok('POST', '/community/devices', { token: browser.endpoint, platform: 'web', keys: browser.keys });
			await ivan.api.ok('POST', '/community/devices', { token: ivanToken, platform: 'android' });
			const own = { push: { kinds: ['mentions', 'replies'] }, timezone: 'Europe/Berlin' };
			await hana.api.ok('PATCH', '/community/me/notification-settings', own);
			const thread = await world.thread(hana, hanaGroup, 'Export me');
			const ivanThread = await world.thread(ivan, hanaGroup, 'Not hers');
			const ivanWords = `ivan-only-${stamp}`;
			await world.settled(ivan, await world.reply(teacher, hanaGroup, ivanThread, ivanWords), 2);
			const reply = await world.reply(teacher, hanaGroup, thread, 'Words of the teacher');
			const sent = await world.settled(hana, reply, 3);

			const download = async (api: Api, path: string) => {
				const response = await fetch(`${instance.url}${path}`, { headers: { authorization: `Bearer ${api.token}` } });
				return { status: response.status, text: await response.text() };
			};
			const json = await download(hana.api, '/community/users/me/export');
			expect(json.status, json.text.slice(0, 300)).toBe(200);
			const data = JSON.parse(json.text).data;
			const devices = await db('community_devices').where({ user: hana.id }).orderBy('id');
			expect(data.devices).toEqual(
				devices.map((device) => ({
					id: Number(device.id),
					platform: device.platform,
					app_id: device.app_id,
					token: device.platform === 'web' ? `${fakes.web.url}/…${browser.endpoint.slice(-8)}` : '…Zk3fT9qa',
					date_created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
					date_updated: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
				})),
			);
			expect(data.notification_settings).toEqual([
				{
					id: expect.any(Number),
					settings: own,
					suppressed_email: null,
					suppressed_reason: null,
					suppressed_at: null,
					date_updated: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
				},
			]);
			const [notification] = await db('community_notifications').where({ recipient: hana.id, post: reply });
			expect(data.deliveries.map((row: any) => [row.id, row.channel, row.device]).sort()).toEqual(
				sent.map((row) => [Number(row.id), row.channel, row.device === null ? null : Number(row.device)]).sort(),
			);
			expect(data.deliveries.map((row: any) => row.device).sort()).toEqual([...devices.map((device) => Number(device.id)), null].sort());
			for (const row of data.deliveries) {
				expect(row).toMatchObject({ notification: Number(notification.id), status: 'sent', attempts: 1, last_error: null });
				expect(row.sent_ref).toEqual(expect.any(String));
				for (const moment of ['due_at', 'sent_at', 'finished_at', 'date_created'])
					expect(row[moment], moment).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
				expect(Date.parse(row.finished_at)).toBeGreaterThanOrEqual(Date.parse(row.due_at));
				expect(Object.keys(row)).not.toContain('claimed_by');
			}
			// Neither the whole token nor the Web Push keys, and nothing of ivan's.
			for (const absent of [android, browser.endpoint, browser.keys.auth, browser.keys.p256dh, ivan.id, ivanToken, ivanWords])
				expect(json.text).not.toContain(absent);
			const byAdmin = JSON.parse((await download(world.admin, `/community/users/${hana.id}/export`)).text).data;
			expect([byAdmin.devices, byAdmin.notification_settings, byAdmin.deliveries]).toEqual([
				data.devices,
				data.notification_settings,
				data.deliveries,
			]);

			const csv = async (kind: string) => {
				const response = await download(hana.api, `/community/users/me/export?format=csv&kind=${kind}`);
				expect(response.status, response.text.slice(0, 300)).toBe(200);
				return response.text.split('\r\n');
			};
			const deviceLines = await csv('devices');
			expect(deviceLines[0]).toBe('id,platform,app_id,token,date_created,date_updated');
			// A cell a spreadsheet would run as a formula is shown as text.
			expect(deviceLines).toContainEqual(expect.stringMatching(/^\d+,android,"'=HYPERLINK\(""x""\)",…Zk3fT9qa,\d{4}-/));
			expect(deviceLines).toHaveLength(devices.length + 2);
			expect(await csv('notification_settings')).toEqual([
				'id,settings,suppressed_email,suppressed_reason,suppressed_at,date_updated',
				expect.stringMatching(/^\d+,"{""push"":{""kinds"":\[""mentions"",""replies""\]},""timezone"":""Europe\/Berlin""}",,,,\d{4}-/),
				'',
			]);
			expect(await csv('deliveries')).toEqual([
				'id,notification,channel,device,status,attempts,due_at,sent_at,finished_at,sent_ref,last_error,date_created',
				...sent.map(() => expect.stringMatching(new RegExp(`^\\d+,${notification.id},(email|push),\\d*,sent,1,\\d{4}-`))),
				'',
			]);
		});
	});

	describe('outbox cleanup', () => {
		it('removes rows finished more than COMMUNITY_DELIVERY_KEEP_DAYS (30) ago; younger and pending rows stay', async () => {
			const kim = await world.person('kim');
			const kimGroup = await world.group(teacher, [kim]);
			await kim.api.ok('POST', '/community/devices', { token: `fcm-kim-${Date.now()}`, platform: 'android' });
			const thread = await world.thread(kim, kimGroup, 'Clean me');
			const old = await world.settled(kim, await world.reply(teacher, kimGroup, thread, 'Old'), 2);
			const [young, later] = await world.settled(kim, await world.reply(teacher, kimGroup, thread, 'Young'), 2);
			const [device] = await db('community_devices').where({ user: kim.id });
			const [notification] = await db('community_notifications').where({ recipient: kim.id }).orderBy('id', 'desc');
			const day = 86_400_000;
			const now = Date.now();
			// Not a state the worker makes (a pending row has no finished_at): only its status keeps it.
			const [inserted] = await db('community_deliveries')
				.insert({
					notification: notification.id,
					recipient: kim.id,
					channel: 'push',
					device: device.id,
					status: 'pending',
					due_at: now + 365 * day,
					attempts: 0,
					finished_at: now - 40 * day,
					dedupe_key: `test-pending-${now}`,
					date_created: new Date(now).toISOString(),
				})
				.returning('id');
			const pending = Number(typeof inserted === 'object' ? inserted.id : inserted);
			const ids = (rows: any[]) => rows.map((row) => Number(row.id));
			const remaining = async (rows: number[]) => ids(await db('community_deliveries').whereIn('id', rows).select('id').orderBy('id'));
			const gone = (rows: number[], what: string) =>
				eventually(async () => ((await remaining(rows)).length === 0 ? true : null), 10_000, what);
			await db('community_deliveries')
				.whereIn('id', ids(old))
				.update({ finished_at: now - 31 * day });
			await db('community_deliveries')
				.where({ id: young.id })
				.update({ finished_at: now - 29 * day });

			await gone(ids(old), 'the rows finished 31 days ago removed');
			// Barrier: a row aged only now goes in a later round, which would have taken the others too.
			await db('community_deliveries')
				.where({ id: later.id })
				.update({ finished_at: now - 31 * day });
			await gone([Number(later.id)], 'the barrier row removed');
			expect(await remaining([Number(young.id), pending])).toEqual([Number(young.id), pending].sort((a, b) => a - b));
			expect((await db('community_deliveries').where({ id: pending }).first()).status).toBe('pending');
		});
	});

	describe('quiet hours and digests', () => {
		const HOUR = 3_600_000;
		/** HH:MM of a moment in a time zone. */
		const localTime = (at: number, timeZone: string) =>
			new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
		const outboxOf = (person: Person) => db('community_deliveries').where({ recipient: person.id }).orderBy('id');
		const pushesTo = (token: string) => fakes.fcm.received.filter((push) => push.token === token && push.status === 200);
		let pat: Person;
		let patGroup: number;
		let patThread: number;
		/** A notification to pat (no quiet hours, e-mail after the delay), waited for on both channels: the barrier. */
		const reachPat = async () => {
			const reply = await world.reply(teacher, patGroup, patThread, 'For pat');
			const rows = await world.settled(pat, reply, 2);
			expect(rows.map((row) => row.status)).toEqual(['sent', 'sent']);
			await eventually(async () => fakes.mail.to(pat.email).find((mail) => mail.mail.text?.includes(`/posts/${reply}`)) ?? null, 5_000);
		};

		beforeAll(async () => {
			pat = await world.person('pat');
			patGroup = await world.group(teacher, [pat]);
			patThread = await world.thread(pat, patGroup, 'Pat asks');
			await pat.api.ok('POST', '/community/devices', { token: `fcm-pat-${Date.now()}`, platform: 'android' });
		});

		it('holds push and e-mail inside quiet hours until they end, then sends each once', async () => {
			const quinn = await world.person('quinn');
			const timeZone = 'Asia/Kolkata';
			const end = Math.floor(Date.now() / 60_000) * 60_000 + HOUR;
			await quinn.api.ok('PATCH', '/community/me/notification-settings', {
				quiet_hours: { start: localTime(end - 2 * HOUR, timeZone), end: localTime(end, timeZone) },
				timezone: timeZone,
			});
			const quinnToken = `fcm-quinn-${Date.now()}`;
			await quinn.api.ok('POST', '/community/devices', { token: quinnToken, platform: 'android' });
			const quinnGroup = await world.group(teacher, [quinn]);
			const thread = await world.thread(quinn, quinnGroup, 'Quiet please');
			const reply = await world.reply(teacher, quinnGroup, thread, 'Sent at night');
			const held = await world.queued(quinn, reply, 2);

			// pat is notified after quinn and gets both; quinn gets nothing, her rows wait for the end of the quiet hours.
			await reachPat();
			expect(pushesTo(quinnToken)).toEqual([]);
			expect(fakes.mail.to(quinn.email)).toEqual([]);
			const rows = await outboxOf(quinn);
			expect(rows.map((row) => [Number(row.id), row.status, Number(row.due_at), row.attempts])).toEqual(
				held.map((id) => [id, 'pending', end, 0]),
			);
			expect(rows.map((row) => row.channel).sort()).toEqual(['email', 'push']);

			// The worker honours the due time (settings are checked again at send time, quiet hours are not): bring it forward.
			await db('community_deliveries').whereIn('id', held).update({ due_at: Date.now() });
			expect((await world.settledRows(held)).map((row) => row.status)).toEqual(['sent', 'sent']);
			await eventually(async () => (fakes.mail.to(quinn.email).length > 0 ? true : null), 5_000, 'quinn’s e-mail');
			await reachPat();
			expect(pushesTo(quinnToken)).toHaveLength(1);
			expect(pushesTo(quinnToken)[0]!.payload.message.data.url).toContain(`/posts/${reply}`);
			expect(fakes.mail.to(quinn.email)).toHaveLength(1);
			expect(fakes.mail.to(quinn.email)[0]!.mail.text).toContain(`/posts/${reply}`);
		});

		it('gathers an hourly digest at the next full hour, then sends one e-mail carrying both notifications', async () => {
			const dora = await world.person('dora');
			await dora.api.ok('PATCH', '/community/me/notification-settings', { email: { cadence: 'hourly' } });
			const doraGroup = await world.group(teacher, [dora]);
			const thread = await world.thread(dora, doraGroup, 'Digest me');
			const first = await world.reply(teacher, doraGroup, thread, 'First of the hour');
			const second = await world.reply(teacher, doraGroup, thread, 'Second of the hour');
			const queued = [...(await world.queued(dora, first)), ...(await world.queued(dora, second))];

			await reachPat();
			expect(fakes.mail.to(dora.email)).toEqual([]);
			const notifications = await world.admin.ok<Array<{ id: number; date_created: string }>>(
				'GET',
				`/items/community_notifications?filter[recipient][_eq]=${dora.id}&fields=id,date_created&sort=id`,
			);
			// Due at the first full hour after the delay (2 s in these tests); an e-mail row per notification.
			expect((await outboxOf(dora)).map((row) => [Number(row.id), row.channel, row.status, Number(row.due_at)])).toEqual(
				notifications.map((notification, i) => [
					queued[i],
					'email',
					'pending',
					Math.ceil((Date.parse(notification.date_created) + 2_000) / HOUR) * HOUR,
				]),
			);

			await db('community_deliveries').whereIn('id', queued).update({ due_at: Date.now() });
			const sent = await world.settledRows(queued);
			expect(sent.map((row) => row.status)).toEqual(['sent', 'sent']);
			expect(sent[1].sent_ref).toBe(sent[0].sent_ref);
			await eventually(async () => (fakes.mail.to(dora.email).length > 0 ? true : null), 5_000, 'dora’s e-mail');
			await reachPat();
			const mails = fakes.mail.to(dora.email);
			expect(mails).toHaveLength(1);
			const { mail } = mails[0]!;
			expect(mail.subject).toMatch(/^2 new notifications in /);
			expect(mail.messageId).toBe(sent[0].sent_ref);
			expect(mail.text).toContain(`/posts/${first}`);
			expect(mail.text).toContain(`/posts/${second}`);
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
