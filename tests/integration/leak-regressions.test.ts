import { beforeAll, describe, expect, it } from 'vitest';
import {
	asAdmin,
	createCourse,
	createGroup,
	createUser,
	enroll,
	unique,
	type Api,
	type ApiResponse,
	type TestUser,
} from '../support/api.js';
import { call, connectAs } from '../support/socket.js';

/**
 * One test per class of read leak the differential test (differential.test.ts) found, each a
 * mini-differential on the shared instance: a probe that matches another group's secret must answer exactly
 * like a probe that matches nothing (or both are refused with 403), and a read must not change when only
 * another group's data changes.
 */

/** Another group's secret, and a value nothing in the instance holds. */
const SECRET = unique('secretB');
const NOTHING = unique('nomatch');

interface Fixture {
	caller: TestUser;
	groupA: number;
	groupB: number;
	bMember: TestUser;
}

let admin: Api;
let fx: Fixture;

const get = (user: TestUser, path: string) => user.api.get(path);

/**
 * Differences found in the running test: each test collects all of its probes' differences and fails once,
 * listing every one (so a class reads as a list of leaking requests, not just the first).
 */
let leaks: string[] = [];
const collecting = (body: () => Promise<void>) => async () => {
	leaks = [];
	await body();
	const found = leaks;
	leaks = [];
	if (found.length > 0) throw new Error(`${found.length} leaking read(s):\n${found.join('\n')}`);
};

const brief = (response: ApiResponse) => `${response.status} ${JSON.stringify(response.body).slice(0, 240)}`;

/** The answer for a probe with `SECRET` must be the answer with `NOTHING` (both refused with 403 counts as equal). */
async function sameAnswer(user: TestUser, probe: (value: string) => string): Promise<void> {
	const [withSecret, withNothing] = [await get(user, probe(SECRET)), await get(user, probe(NOTHING))];
	expectSame(probe(SECRET), withSecret, withNothing);
}

function expectSame(label: string, a: ApiResponse, b: ApiResponse, what = 'a probe that matches nothing'): void {
	if (a.status === 403 && b.status === 403) return;
	if (a.status === b.status && JSON.stringify(a.body) === JSON.stringify(b.body)) return;
	leaks.push(`  ${label}\n      answer:      ${brief(a)}\n      compared to ${what}: ${brief(b)}`);
}

/** A many-to-one the caller can no longer see must come back `null` (in a 200). */
function expectNull(label: string, response: ApiResponse, value: unknown): void {
	if (response.status === 200 && value === null) return;
	leaks.push(`  ${label}\n      answer: ${brief(response)}`);
}

/** A course with its group and `members` joined through the join endpoint. */
async function groupWith(members: TestUser[], teacher?: TestUser): Promise<{ course: number; group: number }> {
	const course = await createCourse();
	const group = await createGroup(course);
	if (teacher) await enroll(teacher, course, { role: 'instructor' });
	for (const member of members) {
		await enroll(member, course);
		const joined = await member.api.post(`/community/groups/${group.id}/join`);
		if (joined.status !== 200) throw new Error(`join: ${JSON.stringify(joined.body)}`);
	}
	return { course: course.id, group: group.id };
}

beforeAll(async () => {
	admin = await asAdmin();
	const [caller, bMember, bTeacher] = await Promise.all([
		createUser('Student', 'leak-caller'),
		createUser('Student', 'leak-b'),
		createUser('Student', 'leak-bteacher'),
	]);
	const a = await groupWith([caller]);
	const b = await groupWith([bMember], bTeacher);
	// B's secret, in its chat and in a thread.
	await bMember.api.ok('POST', '/items/community_messages', {
		group: b.group,
		body: `${SECRET} in B's chat`,
		client_id: unique('b'),
	});
	await bTeacher.api.ok('POST', '/items/community_posts', {
		group: b.group,
		title: `${SECRET} title`,
		body: `${SECRET} body`,
	});
	fx = { caller, groupA: a.group, groupB: b.group, bMember };
});

describe("reads never answer by another group's rows", () => {
	it(
		'(1) meta filter_count with a filter on the body or title of another group’s rows',
		collecting(async () => {
			await sameAnswer(fx.caller, (v) => `/items/community_messages?filter[body][_contains]=${v}&meta=filter_count`);
			await sameAnswer(fx.caller, (v) => `/items/community_posts?filter[title][_contains]=${v}&meta=filter_count`);
			await sameAnswer(fx.caller, (v) => `/items/community_posts?filter={"body":{"_icontains":"${v}"}}&meta=*`);
		}),
	);

	it(
		'(2) meta with search',
		collecting(async () => {
			await sameAnswer(fx.caller, (v) => `/items/community_messages?search=${v}&meta=filter_count`);
			await sameAnswer(fx.caller, (v) => `/items/community_posts?search=${v}&meta=*`);
		}),
	);

	it(
		'(3) meta total_count does not move when another group writes',
		collecting(async () => {
			const read = () => get(fx.caller, '/items/community_messages?meta=total_count&fields=id&limit=1');
			const before = await read();
			const written = await fx.bMember.api.ok<{ id: number }>('POST', '/items/community_messages', {
				group: fx.groupB,
				body: 'another B message',
				client_id: unique('b'),
			});
			expect((await admin.get(`/items/community_messages/${written.id}`)).status).toBe(200);
			expectSame('meta=total_count after a write in B', await read(), before, 'the same read before that write');
		}),
	);

	it(
		'(4) /users: filter, sort, search and groupBy on e-mail',
		collecting(async () => {
			const email = fx.bMember.email;
			const nothing = `${NOTHING}@example.com`;
			const pair = (path: string, v: string) => path.replaceAll('{v}', v);
			for (const path of [
				'/users?filter[email][_eq]={v}&fields=id',
				'/users?filter[email][_eq]={v}&meta=filter_count&fields=id',
				'/users?search={v}&fields=id',
				'/users?aggregate[count]=*&filter[email][_eq]={v}',
				'/users?aggregate[count]=*&groupBy=email&filter[email][_eq]={v}',
			]) {
				expectSame(pair(path, email), await get(fx.caller, pair(path, email)), await get(fx.caller, pair(path, nothing)));
			}
			// Sorting by another group's member's e-mail: the order must not follow it.
			const ids = `${fx.caller.id},${fx.bMember.id}`;
			const sorted = () => get(fx.caller, `/users?filter[id][_in]=${ids}&sort=email&fields=id`);
			const grouped = () => get(fx.caller, `/users?filter[id][_in]=${ids}&aggregate[count]=*&groupBy=email`);
			const [sortBefore, groupBefore] = [await sorted(), await grouped()];
			await admin.ok('PATCH', `/users/${fx.bMember.id}`, { email: `${fx.caller.email < email ? 'a' : 'z'}${unique('moved')}@example.com` });
			const restore = () => admin.ok('PATCH', `/users/${fx.bMember.id}`, { email });
			try {
				const before = 'the same read before that change';
				expectSame('/users?sort=email after another group’s member changed e-mail', await sorted(), sortBefore, before);
				expectSame('/users?groupBy=email after another group’s member changed e-mail', await grouped(), groupBefore, before);
			} finally {
				await restore();
			}
		}),
	);

	it(
		'(5) $FOLLOW from /users into another group’s messages',
		collecting(async () => {
			await sameAnswer(fx.caller, (v) => `/users?filter[$FOLLOW(community_messages,sender)][_some][body][_contains]=${v}&fields=id`);
			await sameAnswer(
				fx.caller,
				(v) => `/users?filter={"$FOLLOW(community_posts,author)":{"_some":{"title":{"_contains":"${v}"}}}}&meta=filter_count&fields=id`,
			);
		}),
	);

	it(
		'(6) client-supplied deep _filter and relational sort paths reaching other groups',
		collecting(async () => {
			// The caller's own notifications point at posts of a group they have left: another group now.
			const [writer, gone] = await Promise.all([createUser('Student', 'leak-writer'), createUser('Student', 'leak-gone')]);
			const c = await groupWith([writer, gone]);
			const posts: number[] = [];
			for (const title of [`${SECRET} aaa`, `${SECRET} zzz`]) {
				posts.push((await writer.api.ok<{ id: number }>('POST', '/items/community_posts', { group: c.group, title, body: SECRET })).id);
			}
			for (const post of posts) {
				await admin.ok('POST', '/items/community_notifications', {
					recipient: gone.id,
					actor: writer.id,
					group: c.group,
					type: 'mention',
					post,
				});
			}
			await gone.api.ok('POST', `/community/groups/${c.group}/leave`);

			await sameAnswer(gone, (v) => `/items/community_notifications?fields=id,post.id&deep[post][_filter][title][_contains]=${v}`);
			await sameAnswer(
				gone,
				(v) => `/items/community_notifications?fields=id,post.replies.id&deep[post][replies][_filter][body][_contains]=${v}`,
			);
			await sameAnswer(gone, (v) => `/items/community_notifications?filter[post][title][_contains]=${v}&fields=id`);
			await sameAnswer(gone, (v) => `/items/community_notifications?filter[post][group][_eq]=${v === SECRET ? c.group : 999999}&fields=id`);
			// Sorted by the hidden posts' titles, both ways: if the titles count, the two orders differ.
			const ascending = await get(gone, '/items/community_notifications?fields=id&sort=post.title');
			const descending = await get(gone, '/items/community_notifications?fields=id&sort=-post.title');
			expectSame('sort=post.title on posts of a group the caller left', ascending, descending, 'sort=-post.title');
			// Deep filters through one-to-many relations into another group's rows.
			await sameAnswer(
				fx.caller,
				(v) =>
					`/items/community_groups?fields=id,posts.id&deep[posts][_filter][_or][0][title][_contains]=${v}&deep[posts][_filter][_or][1][group][_eq]=${v === SECRET ? fx.groupB : 999999}`,
			);
			await sameAnswer(fx.caller, (v) => `/items/community_members?fields=id&filter[group][posts][_some][title][_contains]=${v}`);
		}),
	);

	it(
		'(7) many-to-one expansions into rows the caller can no longer see come back null',
		collecting(async () => {
			const [writer, reader, gone] = await Promise.all([
				createUser('Student', 'leak-m2o-writer'),
				createUser('Student', 'leak-m2o-reader'),
				createUser('Student', 'leak-m2o-gone'),
			]);
			const g = await groupWith([writer, reader, gone]);

			// A notification's post, after the member left the group.
			const post = await writer.api.ok<{ id: number }>('POST', '/items/community_posts', {
				group: g.group,
				title: `${SECRET} left behind`,
				body: SECRET,
			});
			const notification = await admin.ok<{ id: number }>('POST', '/items/community_notifications', {
				recipient: gone.id,
				actor: writer.id,
				group: g.group,
				type: 'mention',
				post: post.id,
			});
			await gone.api.ok('POST', `/community/groups/${g.group}/leave`);
			const afterLeaving = await get(gone, `/items/community_notifications/${notification.id}?fields=post.title`);
			expectNull('fields=post.title of a notification about a group the caller left', afterLeaving, afterLeaving.body?.data?.post);

			// A reply_to pointing at a message hidden pending review.
			const hidden = await writer.api.ok<{ id: number }>('POST', '/items/community_messages', {
				group: g.group,
				body: `${SECRET} hidden`,
				client_id: unique('m'),
			});
			const reply = await writer.api.ok<{ id: number }>('POST', '/items/community_messages', {
				group: g.group,
				body: 'replying',
				client_id: unique('m'),
				reply_to: hidden.id,
			});
			await writer.api.ok('POST', `/community/groups/${g.group}/read`, { message: hidden.id });
			await admin.ok('PATCH', `/items/community_messages/${hidden.id}`, { hidden_at: new Date().toISOString() });
			const replyTo = await get(reader, `/items/community_messages/${reply.id}?fields=id,reply_to.body,reply_to.id`);
			expectNull('fields=reply_to.body of a reply to a hidden message', replyTo, replyTo.body?.data?.reply_to);

			// A read marker's last_read_message pointing at the hidden message.
			const markers = await get(
				reader,
				`/items/community_message_receipts?filter[group][_eq]=${g.group}&filter[user][_eq]=${writer.id}&fields=user,last_read_message.body`,
			);
			expect(markers.body?.data, "the writer's read marker is readable by the group").toHaveLength(1);
			expectNull('fields=last_read_message.body of a read marker at a hidden message', markers, markers.body.data[0].last_read_message);

			// A reply's parent that is hidden (reported) or pending.
			const thread = await writer.api.ok<{ id: number }>('POST', '/items/community_posts', {
				group: g.group,
				title: `${SECRET} thread`,
				body: SECRET,
			});
			const child = await writer.api.ok<{ id: number }>('POST', '/items/community_posts', {
				group: g.group,
				parent: thread.id,
				body: 'a reply',
			});
			for (const status of ['hidden', 'pending']) {
				await admin.ok('PATCH', `/items/community_posts/${thread.id}`, { status });
				const parent = await get(reader, `/items/community_posts/${child.id}?fields=id,parent.title,parent.body`);
				expectNull(`fields=parent.title of a reply whose thread is ${status}`, parent, parent.body?.data?.parent);
			}
		}),
	);

	it(
		'(8) an id out of range or of the wrong type answers 4xx, never 500',
		collecting(async () => {
			const failures: string[] = [];
			for (const collection of [
				'community_messages',
				'community_posts',
				'community_groups',
				'community_notifications',
				'enrollments',
				'courses',
			]) {
				for (const id of ['1e20', 'abc', '99999999999999999999', '-1', '1.5', '0x10', '%20']) {
					for (const path of [
						`/items/${collection}/${id}`,
						`/items/${collection}?filter[id][_eq]=${id}`,
						`/items/${collection}?filter[id][_in]=${id},1`,
					]) {
						const response = await get(fx.caller, path);
						const byId = !path.includes('?');
						if (response.status >= 500 || (byId && response.status < 400)) {
							failures.push(`${path} → ${response.status} ${JSON.stringify(response.body).slice(0, 160)}`);
						}
					}
				}
			}
			for (const path of ['/community/groups/1e20/join', '/community/groups/99999999999999999999/read', '/community/posts/1e20/view']) {
				const response = await fx.caller.api.post(path, { message: 1 });
				if (response.status >= 500) failures.push(`POST ${path} → ${response.status}`);
			}
			for (const id of ['1e20', 'abc']) {
				const response = await fx.caller.api.post('/graphql', { query: `{ community_messages_by_id(id: ${JSON.stringify(id)}) { id } }` });
				if (response.status >= 500 || JSON.stringify(response.body).includes('INTERNAL_SERVER_ERROR')) {
					failures.push(`GraphQL community_messages_by_id(${id}) → ${response.status} ${JSON.stringify(response.body).slice(0, 160)}`);
				}
			}
			const socket = await connectAs(fx.caller);
			try {
				for (const [event, payload] of [
					['message:sync', { group: 1e20 }],
					['message:sync', { group: 99999999999999999999 }],
					['group:join', { group: 1e20 }],
					['receipt:read', { group: fx.groupA, message: 1e20 }],
				] as const) {
					const ack = await call(socket, event, payload);
					if (ack.error?.code === 'INTERNAL') failures.push(`socket ${event} ${JSON.stringify(payload)} → INTERNAL`);
				}
			} finally {
				socket.close();
			}
			leaks.push(...failures.map((failure) => `  ${failure}`));
		}),
	);

	it(
		'(9) GraphQL community_messages_aggregated counts with a filter on another group’s body',
		collecting(async () => {
			const count = (v: string) =>
				fx.caller.api.post('/graphql', {
					query: `query { community_messages_aggregated(filter: { body: { _contains: ${JSON.stringify(v)} } }) { count { id } countDistinct { group } } }`,
				});
			expectSame('community_messages_aggregated with a filter on B’s body', await count(SECRET), await count(NOTHING));
			const grouped = (v: string) =>
				fx.caller.api.post('/graphql', {
					query: `query { community_messages_aggregated(groupBy: ["group"], filter: { body: { _contains: ${JSON.stringify(v)} } }) { group count { id } } }`,
				});
			expectSame('community_messages_aggregated grouped by group', await grouped(SECRET), await grouped(NOTHING));
		}),
	);
});
