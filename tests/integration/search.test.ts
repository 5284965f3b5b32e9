import { describe, expect, inject, it } from 'vitest';
import { Api, asAdmin, directusUrl, eventually } from '../support/api.js';
import { communityFixture, errorCode } from '../support/community.js';

const search = (who: Api | { api: Api }, query: string) => ('api' in who ? who.api : who).get(`/community/search?${query}`);

describe('search', () => {
	it('finds posts and messages the caller may see, ranked, with a safe highlighted snippet', async () => {
		const { group, instructor, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const titled = await alice.api.ok('POST', '/items/community_posts', {
			group: group.id,
			title: 'Mitochondria question',
			body: 'What do mitochondria do?',
		});
		const plain = await bob.api.ok('POST', '/items/community_posts', {
			group: group.id,
			title: 'Other',
			body: 'Cells have mitochondria <b>too</b>',
		});
		const pendingOfBob = await bob.api.ok('POST', '/items/community_posts', {
			group: group.id,
			title: 'Mine',
			body: 'mitochondria draft',
			status: 'draft',
		});

		const posts = await search(alice, `q=mitochondria&group=${group.id}`);
		expect(posts.status).toBe(200);
		expect(posts.body.data.map((hit: any) => hit.id)).toEqual([titled.id, plain.id]);
		expect(posts.body.data[0]).toMatchObject({ type: 'post', group: group.id, parent: null, author: alice.id });
		expect(posts.body.data[0].rank).toBeGreaterThan(posts.body.data[1].rank);
		const snippet: string = posts.body.data[1].snippet;
		expect(snippet).toMatch(/<mark>mitochondria<\/mark>/i);
		expect(snippet).not.toContain('<b>');
		// Bob finds his own draft too; nobody else does.
		expect((await search(bob, `q=mitochondria&group=${group.id}`)).body.data.map((hit: any) => hit.id)).toContain(pendingOfBob.id);
		expect((await search(instructor, `q=mitochondria&group=${group.id}`)).body.data.map((hit: any) => hit.id)).not.toContain(
			pendingOfBob.id,
		);

		const said = await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: 'the ribosome meeting is at noon' });
		const deleted = await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: 'ribosome typo' });
		await bob.api.ok('PATCH', `/items/community_messages/${deleted.id}`, { deleted_at: 'now' });
		const hidden = await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: 'ribosome spam' });
		await (await asAdmin()).ok('PATCH', `/items/community_messages/${hidden.id}`, { hidden_at: new Date().toISOString() });
		const messages = await search(alice, `q=ribosome&type=messages`);
		expect(messages.body.data.map((hit: any) => hit.id)).toEqual([said.id]);
		expect(messages.body.data[0]).toMatchObject({ type: 'message', group: group.id, author: bob.id, seq: Number(said.seq) });
		// Its sender still finds the hidden one (as he still reads it); the phrase must match as written.
		expect((await search(bob, `q=ribosome&type=messages`)).body.data.map((hit: any) => hit.id).sort()).toEqual([said.id, hidden.id].sort());
		expect((await search(alice, `q=${encodeURIComponent('"meeting is at noon"')}&type=messages`)).body.data).toHaveLength(1);
		expect((await search(alice, `q=${encodeURIComponent('"noon meeting"')}&type=messages`)).body.data).toHaveLength(0);
	});

	it('never finds what another group holds; naming that group answers FORBIDDEN', async () => {
		const mine = await communityFixture({ students: 1 });
		const theirs = await communityFixture({ students: 1 });
		const word = `zebra${Date.now()}`;
		await theirs.students[0]!.api.ok('POST', '/items/community_posts', { group: theirs.group.id, title: word, body: word });
		await theirs.students[0]!.api.ok('POST', '/items/community_messages', { group: theirs.group.id, body: word });
		const me = mine.students[0]!;
		for (const type of ['posts', 'messages']) expect((await search(me, `q=${word}&type=${type}`)).body.data).toEqual([]);
		const named = await search(me, `q=${word}&group=${theirs.group.id}`);
		expect([named.status, errorCode(named)]).toEqual([403, 'FORBIDDEN']);
		const admin = await asAdmin();
		expect((await search(admin, `q=${word}&group=${theirs.group.id}`)).body.data).toHaveLength(1);
	});

	it('pages by cursor: every hit once, in rank order', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		const word = `quokka${Date.now()}`;
		const sent: number[] = [];
		for (let i = 1; i <= 5; i++)
			sent.push((await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: `${word} ${'x '.repeat(i)}` })).id);
		const seen: number[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const page: any = await search(alice, `q=${word}&type=messages&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
			expect(page.status).toBe(200);
			seen.push(...page.body.data.map((hit: any) => hit.id));
			cursor = page.body.meta.next_cursor;
			pages++;
		} while (cursor && pages < 10);
		expect(pages).toBe(3);
		expect([...seen].sort((a, b) => a - b)).toEqual(sent);
	});

	it('ranks each group’s newest matches, then the older ones newest first (PostgreSQL); SQLite ranks them all', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const word = `okapi${Date.now()}`;
		// The word's count sets the rank.
		const ids: number[] = [];
		for (const count of [3, 1, 2, 3, 1, 2])
			ids.push((await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: `${`${word} `.repeat(count)}end` })).id);
		// Newer matches Alice may not see: they must take no place in her window.
		const hidden = await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: `${word} spam` });
		await (await asAdmin()).ok('PATCH', `/items/community_messages/${hidden.id}`, { hidden_at: new Date().toISOString() });
		const gone = await bob.api.ok('POST', '/items/community_messages', { group: group.id, body: `${word} typo` });
		await bob.api.ok('PATCH', `/items/community_messages/${gone.id}`, { deleted_at: 'now' });
		const seen: any[] = [];
		let cursor: string | null = null;
		do {
			const page: any = await search(alice, `q=${word}&type=messages&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
			expect(page.status).toBe(200);
			seen.push(...page.body.data);
			cursor = page.body.meta.next_cursor;
		} while (cursor && seen.length < 20);
		const order = seen.map((hit) => hit.id);
		if (process.env['TEST_DB'] === 'postgres') {
			// COMMUNITY_SEARCH_RANK_WINDOW is 3 in the tests: d, e and f are ranked, then c, b, a by age.
			const [a, b, c, d, e, f] = ids as [number, number, number, number, number, number];
			expect(order).toEqual([d, f, e, c, b, a]);
		} else {
			expect([...order].sort((x, y) => x - y)).toEqual(ids);
			const ranks = seen.map((hit) => hit.rank);
			expect(ranks).toEqual([...ranks].sort((x, y) => y - x));
		}
	});

	it('refuses bad input with 4xx codes', async () => {
		const { group, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		for (const [query, status, code] of [
			['q=', 400, 'INVALID_PAYLOAD'],
			['q=%22%2D%2D%22', 400, 'INVALID_PAYLOAD'],
			['q=a&type=users', 400, 'INVALID_PAYLOAD'],
			['q=a&limit=500', 400, 'INVALID_PAYLOAD'],
			['q=a&cursor=garbage', 400, 'INVALID_PAYLOAD'],
			['q=a&group=abc', 400, 'INVALID_PAYLOAD'],
			[`q=${'a'.repeat(201)}`, 400, 'INVALID_PAYLOAD'],
			['q=a&sort=id', 403, 'FIELD_NOT_ALLOWED'],
			['q=a&group=2147483000', 403, 'FORBIDDEN'],
		] as const) {
			const response = await search(alice, query);
			expect([response.status, errorCode(response)], query).toEqual([status, code]);
		}
		// Forged cursors: ids past PostgreSQL's integer would fail the query; a cursor into older matches means
		// nothing where every match is ranked (an admin searching every group; SQLite), and must not start over.
		const forged = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');
		for (const [who, cursor] of [
			[alice, forged([0.5, 2_147_483_648])],
			[alice, forged(['older', 2_147_483_648, [[group.id, 2_147_483_648]]])],
			[await asAdmin(), forged(['older', 5, []])],
		] as const) {
			const response = await search(who, `q=a&cursor=${cursor}`);
			expect([response.status, errorCode(response)], cursor).toEqual([400, 'INVALID_PAYLOAD']);
		}
		// FTS syntax is never passed through: operators are words.
		expect((await search(alice, 'q=NEAR(a%20b)%20OR%20body%3Ax*')).status).toBe(200);
		expect((await search(new Api(directusUrl()), 'q=a')).status).toBe(401);
	});

	it('opens a chat hit in context: the messages around it, for members only', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const sent: any[] = [];
		for (let i = 1; i <= 9; i++) sent.push(await alice.api.ok('POST', '/items/community_messages', { group: group.id, body: `m${i}` }));
		const hidden = sent[3];
		await (await asAdmin()).ok('PATCH', `/items/community_messages/${hidden.id}`, { hidden_at: new Date().toISOString() });
		const around = await bob.api.ok('GET', `/community/groups/${group.id}/messages/around/${sent[4].id}?before=2&after=3`);
		expect(around.message).toBe(sent[4].id);
		// Hidden m4 is not bob's to see: the two before m5 are m2 and m3.
		expect(around.messages.map((m: any) => m.body)).toEqual(['m2', 'm3', 'm5', 'm6', 'm7', 'm8']);
		const other = await communityFixture({ students: 1 });
		const foreign = await other.students[0]!.api.ok('POST', '/items/community_messages', { group: other.group.id, body: 'x' });
		for (const [path, status, code] of [
			[`/community/groups/${group.id}/messages/around/${foreign.id}`, 400, 'INVALID_REFERENCE'],
			[`/community/groups/${group.id}/messages/around/${hidden.id}`, 400, 'INVALID_REFERENCE'],
			[`/community/groups/${other.group.id}/messages/around/${foreign.id}`, 403, 'FORBIDDEN'],
			[`/community/groups/${group.id}/messages/around/${sent[0].id}?before=1000`, 400, 'INVALID_PAYLOAD'],
		] as const) {
			const response = await bob.api.get(path);
			expect([response.status, errorCode(response)], path).toEqual([status, code]);
		}
	});

	it('keeps the index out of Directus: no collection, no snapshot entry', async () => {
		const admin = await asAdmin();
		const names = (await admin.ok<any[]>('GET', '/collections?limit=-1')).map((c) => c.collection);
		expect(names.filter((name) => /fts|search/.test(name))).toEqual([]);
		const snapshot = await admin.ok('GET', '/schema/snapshot');
		expect(JSON.stringify(snapshot)).not.toMatch(/community_fts|community_search/);
	});

	it.runIf(inject('directus').db === 'postgres')('PostgreSQL: a group’s language stems words in its own language', async () => {
		const { group, instructor, students } = await communityFixture({ students: 1 });
		const alice = students[0]!;
		await alice.api.ok('POST', '/items/community_posts', { group: group.id, title: 'Training', body: 'She was running quickly' });
		expect((await search(alice, `q=run&group=${group.id}`)).body.data).toHaveLength(0);
		await instructor.api.ok('PATCH', `/items/community_groups/${group.id}`, { language: 'english' });
		expect((await search(alice, `q=run&group=${group.id}`)).body.data).toHaveLength(1);
	});

	it('keeps indexing after an admin drops a field of posts (SQLite rebuilds the table, and its triggers with it)', async () => {
		const admin = await asAdmin();
		const { group, students } = await communityFixture({ students: 1 });
		await admin.ok('POST', '/fields/community_posts', { field: 'search_probe', type: 'string' });
		await admin.ok('DELETE', '/fields/community_posts/search_probe');
		const written = await students[0]!.api.ok('POST', '/items/community_posts', {
			group: group.id,
			title: 'Ribosome',
			body: 'after the change',
		});
		const found = async () => (await search(students[0]!, `q=ribosome&group=${group.id}`)).body.data.map((hit: any) => hit.id);
		// The trigger comes back from the schema change's action hook, which Directus does not await.
		await eventually(async () => (await found()).includes(written.id), 5_000, 'the new post in the search index');
	});
});
