import { describe, expect, it } from 'vitest';
import { asAdmin, eventually } from '../support/api.js';
import { communityFixture, errorCode, membershipOf, notificationsOf } from '../support/community.js';

describe('chat messages over plain REST', () => {
	it("sender is the caller, seq is the server's, bad input gets 4xx codes", async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const first = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'hello' });
		// seq and message ids are bigIntegers: PostgreSQL answers them as strings.
		expect(first).toMatchObject({ sender: alice.id, body: 'hello', deleted_at: null });
		expect(Number(first.seq)).toBe(1);
		const cases: Array<[object, number, string]> = [
			[{ group: group.id, body: 'x', sender: bob.id }, 403, 'FIELD_NOT_ALLOWED'],
			[{ group: group.id, body: 'x', seq: 99 }, 403, 'FIELD_NOT_ALLOWED'],
			[{ group: group.id, body: 'x', deleted_at: '2020-01-01' }, 403, 'FIELD_NOT_ALLOWED'],
			[{ group: group.id, body: 'x'.repeat(4_001) }, 400, 'BODY_TOO_LONG'],
			[{ group: group.id, body: '' }, 400, 'INVALID_PAYLOAD'],
			[{ group: 'x', body: 'x' }, 400, 'INVALID_PAYLOAD'],
			[{ group: group.id, body: 'x', client_id: 'y'.repeat(65) }, 400, 'INVALID_PAYLOAD'],
			[{ group: group.id, body: 'x', reply_to: 999999 }, 400, 'INVALID_REFERENCE'],
		];
		for (const [body, status, code] of cases) {
			const response = await alice.api.post('/items/community_messages', body);
			expect([response.status, errorCode(response)], JSON.stringify(body).slice(0, 60)).toEqual([status, code]);
		}
		const other = await communityFixture({ students: 1 });
		const foreign = await other.students[0]!.api.ok('POST', '/items/community_messages', { group: other.group.id, body: 'elsewhere' });
		const crossReply = await alice.api.post('/items/community_messages', { group: group.id, body: 're', reply_to: foreign.id });
		expect(errorCode(crossReply)).toBe('INVALID_REFERENCE');
		const intoOther = await alice.api.post('/items/community_messages', { group: other.group.id, body: 'hi' });
		// A group of a course alice is not in answers like one that does not exist.
		expect([intoOther.status, errorCode(intoOther)]).toEqual([403, 'FORBIDDEN']);
		expect(await alice.api.ok<any[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}`)).toHaveLength(1);
	});

	it('a retry with the same client_id returns the first message, also when the retries race', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const send = () => alice.api.post('/items/community_messages', { group: group.id, body: 'only once', client_id: 'device-1:42' });
		const first = await send();
		const again = await send();
		expect(again.status).toBe(200);
		expect(again.body.data.id).toBe(first.body.data.id);
		const racing = await Promise.all(
			Array.from({ length: 8 }, (_, i) =>
				alice.api.post('/items/community_messages', { group: group.id, body: 'race', client_id: `race-${i % 2}` }),
			),
		);
		expect(racing.map((r) => r.status)).toEqual(Array(8).fill(200));
		expect(new Set(racing.map((r) => r.body.data.id)).size).toBe(2);
		const rows = await alice.api.ok<any[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}&limit=200`);
		expect(rows).toHaveLength(3);
	});

	it('parallel senders get distinct, gap-free seq numbers', async () => {
		const { group, students } = await communityFixture({ students: 4 });
		const sends = await Promise.all(
			students.flatMap((student, s) =>
				Array.from({ length: 5 }, (_, i) => student.api.post('/items/community_messages', { group: group.id, body: `m${s}-${i}` })),
			),
		);
		expect(sends.every((r) => r.status === 200)).toBe(true);
		const seqs = sends.map((r) => Number(r.body.data.seq)).sort((a, b) => a - b);
		expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
		expect(Number((await (await asAdmin()).ok('GET', `/items/community_groups/${group.id}`)).last_seq)).toBe(20);
	});

	it('chat off, muted, banned: refused; slow mode answers 429 with the wait; instructors are exempt', async () => {
		const { group, instructor, students } = await communityFixture({ students: 3 });
		const [alice, muted, banned] = students as [(typeof students)[0], (typeof students)[0], (typeof students)[0]];
		await instructor.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, muted)).id}`, { status: 'muted' });
		await instructor.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, banned)).id}`, { status: 'banned' });
		expect(errorCode(await muted.api.post('/items/community_messages', { group: group.id, body: 'hi' }))).toBe('MEMBER_MUTED');
		expect(errorCode(await banned.api.post('/items/community_messages', { group: group.id, body: 'hi' }))).toBe('MEMBER_BANNED');

		expect((await instructor.api.patch(`/items/community_groups/${group.id}`, { slow_mode_seconds: 30 })).status).toBe(200);
		expect(errorCode(await alice.api.patch(`/items/community_groups/${group.id}`, { slow_mode_seconds: 0 }))).toBe('NOT_INSTRUCTOR');
		expect(errorCode(await instructor.api.patch(`/items/community_groups/${group.id}`, { member_count: 0 }))).toBe('FIELD_NOT_ALLOWED');
		expect((await alice.api.post('/items/community_messages', { group: group.id, body: 'one' })).status).toBe(200);
		const tooSoon = await alice.api.post('/items/community_messages', { group: group.id, body: 'two' });
		expect([tooSoon.status, errorCode(tooSoon)]).toEqual([429, 'SLOW_MODE']);
		expect(tooSoon.body.errors[0].extensions.retry_after).toBeGreaterThan(25);
		expect((await instructor.api.post('/items/community_messages', { group: group.id, body: 'a' })).status).toBe(200);
		expect((await instructor.api.post('/items/community_messages', { group: group.id, body: 'b' })).status).toBe(200);

		await instructor.api.ok('PATCH', `/items/community_groups/${group.id}`, { chat_enabled: false, slow_mode_seconds: 0 });
		const off = await alice.api.post('/items/community_messages', { group: group.id, body: 'anyone?' });
		expect([off.status, errorCode(off)]).toEqual([403, 'CHAT_DISABLED']);
		const rows = await alice.api.ok<any[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}&limit=200`);
		expect(rows).toHaveLength(3);
	});

	it('edits mark edited_at; soft delete keeps the row and empties the body; moderators delete any message', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const message = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'tpyo' });
		const edited = await alice.api.ok('PATCH', `/items/community_messages/${message.id}`, { body: 'typo' });
		expect(edited.body).toBe('typo');
		expect(edited.edited_at).not.toBeNull();
		expect(errorCode(await bob.api.patch(`/items/community_messages/${message.id}`, { body: 'mine' }))).toBe('NOT_OWNER');
		expect(errorCode(await bob.api.patch(`/items/community_messages/${message.id}`, { deleted_at: true }))).toBe('NOT_MODERATOR');
		expect(errorCode(await alice.api.patch(`/items/community_messages/${message.id}`, { seq: 5 }))).toBe('FIELD_NOT_ALLOWED');
		const deleted = await alice.api.ok('PATCH', `/items/community_messages/${message.id}`, { deleted_at: true });
		expect(deleted.body).toBe('');
		expect(deleted.deleted_at).not.toBeNull();
		const seen = await bob.api.ok('GET', `/items/community_messages/${message.id}`);
		expect(seen).toMatchObject({ id: message.id, body: '', seq: message.seq });
		const second = await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: 'rude' });
		expect((await instructor.api.ok('PATCH', `/items/community_messages/${second.id}`, { deleted_at: true })).body).toBe('');
		expect(errorCode(await alice.api.patch(`/items/community_messages/${message.id}`, { body: 'again' }))).toBe('INVALID_STATE');
	});

	it('message mentions notify the mentioned member', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const message = await alice.api.ok('POST', '/items/community_messages', {
			group: group.id,
			body: `ping <@${bob.id}> and <@${alice.id}>`,
		});
		const notice = await eventually(async () => (await notificationsOf(bob, 'message_mention'))[0]);
		expect(notice).toMatchObject({ actor: alice.id, group: group.id });
		expect(String(notice.message)).toBe(String(message.id));
		expect(await notificationsOf(alice, 'message_mention')).toEqual([]);
	});
});

describe('read markers and my groups', () => {
	it('the marker only moves forward; unread counts follow it; /me/groups sums it up', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const sent = [];
		for (let i = 1; i <= 5; i++) sent.push(await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: `news ${i}` }));
		await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'my own' });

		const initial = await alice.api.ok('GET', '/community/me/groups');
		expect(initial).toHaveLength(1);
		expect(initial[0]).toMatchObject({ id: group.id, role: 'student', unread_messages: 5, last_read_seq: 0 });
		expect(initial[0].last_message).toMatchObject({ seq: 6, body: 'my own', sender: alice.id });

		const marker = await alice.api.ok('POST', `/community/groups/${group.id}/read`, { message: sent[2].id });
		expect(marker).toMatchObject({ last_read_message: Number(sent[2].id), last_read_seq: 3, unread: 2 });
		const back = await alice.api.ok('POST', `/community/groups/${group.id}/read`, { message: sent[0].id });
		expect(back).toMatchObject({ last_read_message: Number(sent[2].id), last_read_seq: 3, unread: 2 });
		const racing = await Promise.all(sent.map((message) => alice.api.post(`/community/groups/${group.id}/read`, { message: message.id })));
		expect(racing.every((r) => r.status === 200)).toBe(true);
		expect((await alice.api.ok('GET', '/community/me/groups'))[0]).toMatchObject({ unread_messages: 0, last_read_seq: 5 });

		const receipts = await bob.api.ok<any[]>('GET', `/items/community_message_receipts?filter[group][_eq]=${group.id}`);
		expect(receipts.map((r) => [r.user, Number(r.last_read_seq)])).toEqual([[alice.id, 5]]);

		const other = await communityFixture({ students: 1 });
		const foreign = await other.students[0]!.api.ok('POST', '/items/community_messages', { group: other.group.id, body: 'x' });
		expect(errorCode(await alice.api.post(`/community/groups/${group.id}/read`, { message: foreign.id }))).toBe('INVALID_REFERENCE');
		expect(errorCode(await alice.api.post(`/community/groups/${other.group.id}/read`, { message: foreign.id }))).toBe('FORBIDDEN');
		expect(errorCode(await alice.api.post(`/community/groups/${group.id}/read`, { message: 'abc' }))).toBe('INVALID_PAYLOAD');
	});
});
