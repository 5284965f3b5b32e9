import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { asAdmin, type TestUser } from '../support/api.js';
import { communityFixture, errorCode } from '../support/community.js';
import { call, connectAs } from '../support/socket.js';

/**
 * Titles, group names, report notes and moderation notes are plain text: trimmed, limited in length after
 * trimming, without control characters (titles and names on one line). Bodies follow the same length and
 * control-character rules, then the markdown sanitiser. The rules hold on every path that writes them.
 */

const CONTROL = ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085'];
const refusal = (response: { status: number; body: any }) => [response.status, errorCode(response)];
const INVALID: [number, string] = [400, 'INVALID_PAYLOAD'];

const sockets: Socket[] = [];
afterEach(() => {
	for (const socket of sockets.splice(0)) socket.disconnect();
});

describe('plain text: titles and group names', () => {
	it('one trimmed line of at most 200 characters, on create and on edit', async () => {
		const { group, instructor, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const post = (title: unknown) => alice.api.post('/items/community_posts', { group: group.id, title, body: 'b' });
		for (const title of [...CONTROL.map((c) => `Lab${c}3`), 'Lab\n3', 'Lab\t3', 'x'.repeat(201), 42])
			expect(refusal(await post(title)), JSON.stringify(title)).toEqual(INVALID);
		expect(refusal(await post('   '))).toEqual(INVALID);
		const created = await alice.api.ok('POST', '/items/community_posts', { group: group.id, title: `  ${'x'.repeat(200)}  `, body: 'b' });
		expect(created.title).toBe('x'.repeat(200));
		const unicode = await alice.api.ok('PATCH', `/items/community_posts/${created.id}`, { title: '  Übung 3 — 👍 <b>  ' });
		expect(unicode.title).toBe('Übung 3 — 👍 <b>');
		expect(refusal(await alice.api.patch(`/items/community_posts/${created.id}`, { title: 'a\u0000b' }))).toEqual(INVALID);
		expect(refusal(await alice.api.patch(`/items/community_posts/${created.id}`, { title: 'two\nlines' }))).toEqual(INVALID);

		const rename = (name: string) => instructor.api.patch(`/items/community_groups/${group.id}`, { name });
		for (const name of ['Biology\n101', 'Bio\u0007', '   ', 'x'.repeat(201)]) expect(refusal(await rename(name)), name).toEqual(INVALID);
		expect((await instructor.api.ok('PATCH', `/items/community_groups/${group.id}`, { name: '  Biology 101  ' })).name).toBe('Biology 101');
	});
});

describe('plain text: report and moderation notes', () => {
	it('trimmed, up to 2,000 characters over several lines, no control characters, on REST and the socket', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2, group: { require_post_approval: true } });
		const [alice, bob] = students as [TestUser, TestUser];
		const admin = await asAdmin();
		const published = await admin.ok('POST', '/items/community_posts', {
			group: group.id,
			author: alice.id,
			title: 't',
			body: 'b',
			status: 'published',
		});
		const report = (note: string, path = '/community/reports') => bob.api.post(path, { post: published.id, reason: 'spam', note });
		for (const note of [...CONTROL.map((c) => `spam${c}`), 'x'.repeat(2_001)]) {
			expect(refusal(await report(note)), JSON.stringify(note)).toEqual(INVALID);
			expect(refusal(await report(note, '/items/community_reports')), JSON.stringify(note)).toEqual(INVALID);
		}
		const made = await bob.api.ok('POST', '/community/reports', {
			post: published.id,
			reason: 'spam',
			note: `  line one\n\tline two${' '.repeat(10)}`,
		});
		expect(made.note).toBe('line one\n\tline two');

		const pending = await alice.api.ok('POST', '/items/community_posts', { group: group.id, title: 't', body: 'b' });
		for (const action of ['approve', 'reject'])
			for (const note of ['bad\u0000note', 'x'.repeat(2_001)])
				expect(refusal(await instructor.api.post(`/community/posts/${pending.id}/${action}`, { note })), action).toEqual(INVALID);
		const rejected = await instructor.api.ok('POST', `/community/posts/${pending.id}/reject`, { note: ` ${'n'.repeat(2_000)} ` });
		expect(rejected.moderation_note).toBe('n'.repeat(2_000));

		const resolve = (note: string) => instructor.api.post(`/community/reports/${made.id}/resolve`, { action: 'keep', note });
		expect(refusal(await resolve('fine\u001b[31m'))).toEqual(INVALID);
		expect(
			(await instructor.api.ok('POST', `/community/reports/${made.id}/resolve`, { action: 'keep', note: 'Fine.\nKeep it.' })).report,
		).toMatchObject({
			resolution_note: 'Fine.\nKeep it.',
		});

		const message = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'hello' });
		const socket = await connectAs(bob);
		sockets.push(socket);
		expect((await call(socket, 'group:join', { group: group.id })).ok).toBe(true);
		const bad = await call(socket, 'message:report', { message: Number(message.id), reason: 'spam', note: 'bell\u0007' });
		expect([bad.ok, bad.error?.code]).toEqual([false, 'INVALID_PAYLOAD']);
		expect(await admin.ok<any[]>('GET', `/items/community_reports?filter[message][_eq]=${message.id}`)).toHaveLength(0);
	});
});

describe('bodies', () => {
	it('refuse control characters with a 4xx on every database (PostgreSQL refuses NUL in text) and keep tabs and line breaks', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		for (const control of CONTROL) {
			const post = await alice.api.post('/items/community_posts', { group: group.id, title: 't', body: `a${control}b` });
			expect(refusal(post), JSON.stringify(control)).toEqual(INVALID);
			const message = await alice.api.post('/items/community_messages', { group: group.id, body: `a${control}b` });
			expect(refusal(message), JSON.stringify(control)).toEqual(INVALID);
		}
		const kept = await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: 'col1\tcol2\r\nnext' });
		expect(kept.body).toBe('col1\tcol2\r\nnext');
		expect(await alice.api.ok<any[]>('GET', `/items/community_posts?filter[group][_eq]=${group.id}`)).toHaveLength(0);
	});

	it('keep escaped entities escaped, defuse quoted definitions, and take hostile bodies at the length limit', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const post = (body: string) => alice.api.ok('POST', '/items/community_posts', { group: group.id, title: 't', body });
		expect((await post('[x](javascript&amp;#x3a;alert(1))')).body).toBe('[x](javascript&amp;#x3a;alert(1))');
		expect((await post('[x](javascript&#x3a;alert(1))')).body).toBe('[x](unsafe-javascript:alert(1))');
		expect((await post('> [x]: javascript:alert(1)\n> [click][x]')).body).toBe('> [x]: unsafe-javascript:alert(1)\n> [click][x]');
		const hostile = '[\n'.repeat(9_000).trim();
		expect((await post(hostile)).body).toBe(hostile);
	});
});
