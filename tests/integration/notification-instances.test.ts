import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/api.js';
import { DeliveryWorld, startDeliveryFakes, type DeliveryFakes, type Person } from '../support/delivery.js';
import { startDirectusInstance, type DirectusInstance } from '../support/directus-instance.js';

/**
 * The outbox with several instances on one PostgreSQL database (whatever TEST_DB says, as in
 * instances.test.ts): both instances run the worker on a short interval with small batches, so they compete
 * for the same rows all the time. Then one is killed while its pushes are in flight and started again.
 */
describe('notification delivery with two instances on one PostgreSQL database', () => {
	let fakes: DeliveryFakes;
	let first: DirectusInstance;
	let second: DirectusInstance;
	let third: DirectusInstance | null = null;
	let world: DeliveryWorld;
	let teacher: Person;

	beforeAll(async () => {
		fakes = await startDeliveryFakes();
		const env = {
			...fakes.env,
			COMMUNITY_DELIVERY_BATCH: '4',
			COMMUNITY_DELIVERY_INTERVAL_MS: '150',
			COMMUNITY_DELIVERY_LEASE_SECONDS: '3',
		};
		first = await startDirectusInstance({ db: 'postgres', env });
		second = await startDirectusInstance({ db: 'postgres', env, shareDatabaseWith: first });
		world = await DeliveryWorld.on(first);
		teacher = await world.person('teacher');
	}, 240_000);

	afterAll(async () => {
		await third?.stop();
		await second?.stop();
		await first?.stop();
		await fakes?.close();
	});

	const countBy = <T>(items: T[], key: (item: T) => string) => {
		const counts = new Map<string, number>();
		for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
		return counts;
	};

	it('sends every e-mail and push exactly once while both instances take from the same outbox', async () => {
		const students = await Promise.all(Array.from({ length: 8 }, (_, i) => world.person(`s${i}`)));
		const group = await world.group(teacher, students);
		const tokens = students.flatMap((student, i) => [0, 1, 2].map((d) => ({ student, token: `both-${i}-${d}-${Date.now()}` })));
		for (const { student, token } of tokens) await student.api.ok('POST', '/community/devices', { token, platform: 'android' });

		const replies = await Promise.all(
			students.map(
				async (student) =>
					[student, await world.reply(teacher, group, await world.thread(student, group, `Q of ${student.name}`))] as const,
			),
		);
		const rows = (await Promise.all(replies.map(([student, reply]) => world.settled(student, reply, 4)))).flat();
		expect(rows).toHaveLength(32);
		expect(rows.every((row) => row.status === 'sent')).toBe(true);

		const pushes = fakes.fcm.received.filter((push) => push.token.startsWith('both-'));
		expect([...countBy(pushes, (push) => push.token).values()]).toEqual(tokens.map(() => 1));
		expect(countBy(pushes, (push) => push.token).size).toBe(tokens.length);
		for (const student of students) expect(fakes.mail.to(student.email), student.email).toHaveLength(1);
		// Each instance signs in to FCM on its own: two access tokens in use means both sent.
		expect(new Set(pushes.map((push) => push.bearer)).size).toBe(2);
	});

	it('a crash mid-batch loses nothing: the lapsed claims are sent again, and only those can arrive twice', async () => {
		// Another teacher: the first one has spent their post budget (COMMUNITY_POST_LIMIT) above.
		const secondTeacher = await world.person('teacher2');
		const students = await Promise.all(Array.from({ length: 4 }, (_, i) => world.person(`c${i}`)));
		const group = await world.group(secondTeacher, students);
		const tokens = students.flatMap((student, i) => [0, 1].map((d) => ({ student, token: `hang-${i}-${d}-${Date.now()}` })));
		for (const { student, token } of tokens) {
			await student.api.ok('POST', '/community/devices', { token, platform: 'android' });
			await student.api.ok('PATCH', '/community/me/notification-settings', { email: { enabled: false } });
		}
		const replies = await Promise.all(
			students.map(
				async (student) =>
					[student, await world.reply(secondTeacher, group, await world.thread(student, group, `H of ${student.name}`))] as const,
			),
		);
		const ids = (await Promise.all(replies.map(([student, reply]) => world.queued(student, reply, 2)))).flat();
		// Pushes are at the provider, unanswered, and the second instance holds some: its round waits for them.
		const heldBySecond = await eventually(
			async () => {
				const rows = await world.admin.ok<any[]>('GET', `/items/community_deliveries?filter[id][_in]=${ids.join(',')}&limit=-1`);
				const held = rows.filter((row) => row.status === 'pending' && String(row.claimed_by).includes(`:${second.pid}:`));
				return held.length > 0 && fakes.fcm.hangingCount() > 0 ? new Set(held.map((row) => row.device as number)) : null;
			},
			15_000,
			'the second instance holding pushes in flight',
		);

		await second.crash();
		fakes.fcm.release();
		third = await startDirectusInstance({
			db: 'postgres',
			env: { ...fakes.env, COMMUNITY_DELIVERY_LEASE_SECONDS: '3' },
			shareDatabaseWith: first,
		});

		const rows = await world.settledRows(ids, 30_000);
		expect(rows.every((row) => row.status === 'sent')).toBe(true);
		const pushes = countBy(
			fakes.fcm.received.filter((push) => push.token.startsWith('hang-')),
			(push) => push.token,
		);
		expect(pushes.size).toBe(tokens.length);
		const devices = await world.admin.ok<any[]>('GET', `/items/community_devices?filter[token][_starts_with]=hang-&limit=-1`);
		const twice = devices.filter((device) => (pushes.get(device.token) ?? 0) > 1).map((device) => device.id as number);
		for (const device of twice) expect(heldBySecond.has(device), `device ${device} got a duplicate without a crash`).toBe(true);
		expect(Math.max(...pushes.values())).toBeLessThanOrEqual(2);
		// Every row the crashed instance held was sent again by the others.
		const resent = rows.filter((row) => heldBySecond.has(row.device));
		expect(resent.every((row) => row.attempts === 2)).toBe(true);
	});
});
