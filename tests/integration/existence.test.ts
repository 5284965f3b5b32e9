import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	addMember,
	asAdmin,
	createCourse,
	createGroup,
	createUser,
	enroll,
	eventually,
	unique,
	type Api,
	type ApiResponse,
	type TestUser,
} from '../support/api.js';
import { communityFixture, errorCode, membershipOf, type CommunityFixture } from '../support/community.js';
import { call, connectAs } from '../support/socket.js';

/**
 * Existence answers the same everywhere (docs/access.md): on every /community endpoint, every write path and
 * the socket, an id of another group, a row of the caller's own group that is hidden from them, and an id
 * that does not exist get the same answer (status, code and message). Ids of the wrong type or out of range
 * get 4xx, never 500: PostgreSQL refuses out-of-range parameters, so the shared id parser must come first.
 */

/** A well-formed id within PostgreSQL's integer that no test run reaches. */
const MISSING = 2_147_480_000;

/** What an answer tells the caller: the status, and the errors (code and message) or the data. */
const answer = (response: ApiResponse) => ({ status: response.status, body: response.body?.errors ?? response.body?.data ?? null });
const statusAndCode = (response: ApiResponse) => [response.status, errorCode(response) ?? null];

/** Rows the tests point at: group A is the callers', group B another course's. */
const row: Record<string, number> = {};
let A: CommunityFixture, B: CommunityFixture;
let alice: TestUser, bob: TestUser, carol: TestUser;
/** Student-role group instructor of A: the moderator whose own group's rows would be theirs to act on. */
let moderator: TestUser;

beforeAll(async () => {
	const admin = await asAdmin();
	[A, B] = await Promise.all([communityFixture({ students: 2 }), communityFixture({ students: 1 })]);
	[alice, bob] = A.students as [TestUser, TestUser];
	carol = B.students[0]!;
	moderator = A.instructor;
	row.groupA = A.group.id;
	row.groupB = B.group.id;
	row.courseB = B.course.id;

	const post = (data: Record<string, unknown>) => admin.ok<{ id: number }>('POST', '/items/community_posts', data).then((p) => p.id);
	const message = (data: Record<string, unknown>) =>
		admin.ok<{ id: number }>('POST', '/items/community_messages', data).then((m) => Number(m.id));
	const thread = { title: 'Thread', body: 'text' };

	row.threadA = await post({ group: A.group.id, author: moderator.id, ...thread, status: 'published' });
	row.messageA = await message({ group: A.group.id, sender: bob.id, body: 'visible' });
	// Rows of A that alice cannot see: bob's pending, draft and deleted posts, a message hidden pending review.
	row.pendingA = await post({ group: A.group.id, author: bob.id, ...thread, status: 'pending' });
	row.draftA = await post({ group: A.group.id, author: bob.id, ...thread, status: 'draft' });
	row.deletedA = await post({ group: A.group.id, author: bob.id, ...thread, status: 'deleted' });
	row.hiddenMessageA = await message({ group: A.group.id, sender: bob.id, body: 'hidden', hidden_at: new Date().toISOString() });
	row.reportA = (await bob.api.ok('POST', '/community/reports', { post: row.threadA, reason: 'spam' })).id;

	row.postB = await post({ group: B.group.id, author: B.instructor.id, ...thread, status: 'published' });
	row.pendingB = await post({ group: B.group.id, author: carol.id, ...thread, status: 'pending' });
	row.messageB = await message({ group: B.group.id, sender: carol.id, body: 'elsewhere' });
	row.memberB = (await membershipOf(B.group, carol)).id;
	row.reportB = (await carol.api.ok('POST', '/community/reports', { post: row.postB, reason: 'spam' })).id;
	row.notificationB = (
		await eventually(
			async () => (await B.instructor.api.ok<any[]>('GET', '/items/community_notifications?filter[type][_eq]=report_new'))[0],
		)
	).id;
});

interface ExistenceCase {
	name: string;
	caller: () => TestUser;
	send: (api: Api, id: number) => Promise<ApiResponse>;
	/** Ids the caller cannot see, each answered exactly like MISSING. */
	unseen: () => number[];
	/** The one answer for all of them. */
	expected: [number, string | null];
}

const FORBIDDEN: [number, string] = [403, 'FORBIDDEN'];
const INVALID_REFERENCE: [number, string] = [400, 'INVALID_REFERENCE'];
const OK: [number, null] = [200, null];
const postsHiddenFromAlice = () => [row.postB!, row.pendingB!, row.pendingA!, row.draftA!, row.deletedA!];
const postsHiddenFromModerator = () => [row.postB!, row.pendingB!, row.deletedA!];
const messagesHiddenFromAlice = () => [row.messageB!, row.hiddenMessageA!];
const asAlice = () => alice;
const asModerator = () => moderator;

const cases: ExistenceCase[] = [
	// Plain Directus writes, decided by the rule hooks.
	{
		name: 'PATCH /items/community_posts/:id (author edit)',
		caller: asAlice,
		send: (api, id) => api.patch(`/items/community_posts/${id}`, { body: 'x' }),
		unseen: postsHiddenFromAlice,
		expected: FORBIDDEN,
	},
	{
		name: 'PATCH /items/community_posts/:id (moderator pin)',
		caller: asModerator,
		send: (api, id) => api.patch(`/items/community_posts/${id}`, { pinned: true }),
		unseen: postsHiddenFromModerator,
		expected: FORBIDDEN,
	},
	{
		name: 'PATCH /items/community_messages/:id (edit)',
		caller: asAlice,
		send: (api, id) => api.patch(`/items/community_messages/${id}`, { body: 'x' }),
		unseen: messagesHiddenFromAlice,
		expected: FORBIDDEN,
	},
	{
		name: 'PATCH /items/community_messages/:id (moderator delete)',
		caller: asModerator,
		send: (api, id) => api.patch(`/items/community_messages/${id}`, { deleted_at: true }),
		unseen: () => [row.messageB!],
		expected: FORBIDDEN,
	},
	{
		name: 'PATCH /items/community_members/:id (notify)',
		caller: asAlice,
		send: (api, id) => api.patch(`/items/community_members/${id}`, { notify: 'none' }),
		unseen: () => [row.memberB!],
		expected: FORBIDDEN,
	},
	{
		name: 'PATCH /items/community_members/:id (instructor mutes)',
		caller: asModerator,
		send: (api, id) => api.patch(`/items/community_members/${id}`, { status: 'muted' }),
		unseen: () => [row.memberB!],
		expected: FORBIDDEN,
	},
	{
		name: 'PATCH /items/community_groups/:id',
		caller: asModerator,
		send: (api, id) => api.patch(`/items/community_groups/${id}`, { name: 'Renamed' }),
		unseen: () => [row.groupB!],
		expected: FORBIDDEN,
	},
	{
		name: 'POST /items/community_posts { group }',
		caller: asAlice,
		send: (api, id) => api.post('/items/community_posts', { group: id, title: 't', body: 'b' }),
		unseen: () => [row.groupB!],
		expected: FORBIDDEN,
	},
	{
		name: 'POST /items/community_posts { parent }',
		caller: asAlice,
		send: (api, id) => api.post('/items/community_posts', { group: row.groupA, parent: id, body: 'b' }),
		unseen: postsHiddenFromAlice,
		expected: INVALID_REFERENCE,
	},
	{
		name: 'POST /items/community_messages { group }',
		caller: asAlice,
		send: (api, id) => api.post('/items/community_messages', { group: id, body: 'b' }),
		unseen: () => [row.groupB!],
		expected: FORBIDDEN,
	},
	{
		name: 'POST /items/community_messages { group, client_id }',
		caller: asAlice,
		send: (api, id) => api.post('/items/community_messages', { group: id, body: 'b', client_id: unique('c') }),
		unseen: () => [row.groupB!],
		expected: FORBIDDEN,
	},
	{
		name: 'POST /items/community_messages { reply_to }',
		caller: asAlice,
		send: (api, id) => api.post('/items/community_messages', { group: row.groupA, body: 'b', reply_to: id }),
		unseen: messagesHiddenFromAlice,
		expected: INVALID_REFERENCE,
	},
	{
		name: 'POST /items/community_reports { post }',
		caller: asAlice,
		send: (api, id) => api.post('/items/community_reports', { post: id, reason: 'spam' }),
		unseen: postsHiddenFromAlice,
		expected: FORBIDDEN,
	},

	// The /community endpoints.
	{
		name: 'POST /community/reports { post }',
		caller: asAlice,
		send: (api, id) => api.post('/community/reports', { post: id, reason: 'spam' }),
		unseen: postsHiddenFromAlice,
		expected: FORBIDDEN,
	},
	{
		name: 'POST /community/reports { message }',
		caller: asAlice,
		send: (api, id) => api.post('/community/reports', { message: id, reason: 'spam' }),
		unseen: messagesHiddenFromAlice,
		expected: FORBIDDEN,
	},
	{
		name: 'POST /community/reports/:id/resolve (moderator)',
		caller: asModerator,
		send: (api, id) => api.post(`/community/reports/${id}/resolve`, { action: 'keep' }),
		unseen: () => [row.reportB!],
		expected: FORBIDDEN,
	},
	{
		name: 'POST /community/reports/:id/resolve (member)',
		caller: asAlice,
		send: (api, id) => api.post(`/community/reports/${id}/resolve`, { action: 'keep' }),
		unseen: () => [row.reportA!, row.reportB!],
		expected: FORBIDDEN,
	},
	{
		name: 'POST /community/posts/:id/view',
		caller: asAlice,
		send: (api, id) => api.post(`/community/posts/${id}/view`),
		unseen: postsHiddenFromAlice,
		expected: FORBIDDEN,
	},
	{
		name: 'POST /community/posts/:id/reactions',
		caller: asAlice,
		send: (api, id) => api.post(`/community/posts/${id}/reactions`, { emoji: '👍' }),
		unseen: postsHiddenFromAlice,
		expected: FORBIDDEN,
	},
	{
		name: 'DELETE /community/posts/:id/reactions/:emoji',
		caller: asAlice,
		send: (api, id) => api.delete(`/community/posts/${id}/reactions/${encodeURIComponent('👍')}`),
		unseen: postsHiddenFromAlice,
		expected: FORBIDDEN,
	},
	...(['approve', 'reject'] as const).flatMap((decision): ExistenceCase[] => [
		{
			name: `POST /community/posts/:id/${decision} (moderator)`,
			caller: asModerator,
			send: (api, id) => api.post(`/community/posts/${id}/${decision}`),
			unseen: postsHiddenFromModerator,
			expected: FORBIDDEN,
		},
		{
			name: `POST /community/posts/:id/${decision} (member)`,
			caller: asAlice,
			send: (api, id) => api.post(`/community/posts/${id}/${decision}`),
			unseen: () => [row.pendingA!, row.pendingB!],
			expected: FORBIDDEN,
		},
	]),
	...(['pin', 'unpin', 'lock', 'unlock'] as const).map((action): ExistenceCase => ({
		name: `POST /community/posts/:id/${action}`,
		caller: asModerator,
		send: (api, id) => api.post(`/community/posts/${id}/${action}`),
		unseen: postsHiddenFromModerator,
		expected: FORBIDDEN,
	})),
	{
		name: 'POST /community/groups/:id/read',
		caller: asAlice,
		send: (api, id) => api.post(`/community/groups/${id}/read`, { message: row.messageA }),
		unseen: () => [row.groupB!],
		expected: FORBIDDEN,
	},
	{
		name: 'POST /community/groups/:id/read { message }',
		caller: asAlice,
		send: (api, id) => api.post(`/community/groups/${row.groupA}/read`, { message: id }),
		unseen: messagesHiddenFromAlice,
		expected: INVALID_REFERENCE,
	},
	{
		name: 'POST /community/groups/:id/unread',
		caller: asAlice,
		send: (api, id) => api.post(`/community/groups/${id}/unread`, { message: row.messageA }),
		unseen: () => [row.groupB!],
		expected: FORBIDDEN,
	},
	{
		name: 'POST /community/groups/:id/unread { message }',
		caller: asAlice,
		send: (api, id) => api.post(`/community/groups/${row.groupA}/unread`, { message: id }),
		unseen: messagesHiddenFromAlice,
		expected: INVALID_REFERENCE,
	},
	// Joining keeps the chain's first answer for a course you are not in; a missing group answers the same.
	{
		name: 'POST /community/groups/:id/join',
		caller: asAlice,
		send: (api, id) => api.post(`/community/groups/${id}/join`),
		unseen: () => [row.groupB!],
		expected: [403, 'NOT_ENROLLED'],
	},
	{
		name: 'POST /community/groups/:id/leave',
		caller: asAlice,
		send: (api, id) => api.post(`/community/groups/${id}/leave`),
		unseen: () => [row.groupB!],
		expected: FORBIDDEN,
	},
	{
		name: 'GET /community/moderation/groups/:id/members',
		caller: asModerator,
		send: (api, id) => api.get(`/community/moderation/groups/${id}/members`),
		unseen: () => [row.groupB!],
		expected: FORBIDDEN,
	},
	{
		name: 'GET /community/moderation/groups/:id/activity',
		caller: asModerator,
		send: (api, id) => api.get(`/community/moderation/groups/${id}/activity`),
		unseen: () => [row.groupB!],
		expected: FORBIDDEN,
	},
	{
		name: 'GET /community/moderation/queue?group=',
		caller: asModerator,
		send: (api, id) => api.get(`/community/moderation/queue?group=${id}`),
		unseen: () => [row.groupB!],
		expected: OK,
	},
	{
		name: 'GET /community/moderation/queue?course=',
		caller: asModerator,
		send: (api, id) => api.get(`/community/moderation/queue?course=${id}`),
		unseen: () => [row.courseB!],
		expected: OK,
	},
	{
		name: 'POST /community/notifications/read { ids }',
		caller: asAlice,
		send: (api, id) => api.post('/community/notifications/read', { ids: [id] }),
		unseen: () => [row.notificationB!],
		expected: OK,
	},
];

describe('an id the caller cannot see answers exactly like one that does not exist', () => {
	it.each(cases)('$name', async ({ caller, send, unseen, expected }) => {
		const { api } = caller();
		const missing = await send(api, MISSING);
		expect(statusAndCode(missing)).toEqual(expected);
		for (const id of unseen()) expect(answer(await send(api, id)), `id ${id}`).toEqual(answer(missing));
	});

	it('the same over the socket', async () => {
		const socket = await connectAs(alice);
		try {
			const ack = async (event: string, payload: unknown) => {
				const { ok, error } = await call(socket, event, payload);
				return { ok, error: error ?? null };
			};
			const same = async (event: string, payload: (id: number) => unknown, unseen: number[], code: string) => {
				const missing = await ack(event, payload(MISSING));
				expect([event, missing.error?.code]).toEqual([event, code]);
				for (const id of unseen) expect(await ack(event, payload(id)), `${event} ${id}`).toEqual(missing);
			};
			await same('group:join', (group) => ({ group }), [row.groupB!], 'NOT_ENROLLED');
			await same('message:sync', (group) => ({ group }), [row.groupB!], 'FORBIDDEN');
			await same('message:send', (group) => ({ group, body: 'b', client_id: unique('s') }), [row.groupB!], 'FORBIDDEN');
			await same('receipt:read', (group) => ({ group, message: row.messageA }), [row.groupB!], 'FORBIDDEN');
			await same('receipt:read', (message) => ({ group: row.groupA, message }), messagesHiddenFromAlice(), 'INVALID_REFERENCE');
			await same('marker:unread', (group) => ({ group, message: row.messageA }), [row.groupB!], 'FORBIDDEN');
			await same('marker:unread', (message) => ({ group: row.groupA, message }), messagesHiddenFromAlice(), 'INVALID_REFERENCE');
			await same('message:report', (message) => ({ message, reason: 'spam' }), messagesHiddenFromAlice(), 'FORBIDDEN');
			await same('message:edit', (message) => ({ message, body: 'x' }), messagesHiddenFromAlice(), 'FORBIDDEN');
			await same('message:delete', (message) => ({ message }), messagesHiddenFromAlice(), 'FORBIDDEN');
		} finally {
			socket.close();
		}
	});
});

/** Path ids and body ids of the wrong type or beyond PostgreSQL's integer. */
const MALFORMED_PATH_IDS = ['1e20', '99999999999999999999', 'abc', '-1', '1.5', '0', '2147483648'];
const MALFORMED_BODY_IDS: unknown[] = [1e20, 99999999999, 2147483648, '1e20', 'abc', -1, 1.5, 0, true, [1], { id: 1 }];

describe('ids of the wrong type or out of range answer 4xx, never 500', () => {
	const communityPaths: Array<[string, string, unknown?]> = [
		['POST', '/community/groups/:id/join'],
		['POST', '/community/groups/:id/leave'],
		['POST', '/community/groups/:id/read', { message: 1 }],
		['POST', '/community/groups/:id/unread', { message: 1 }],
		['POST', '/community/posts/:id/approve'],
		['POST', '/community/posts/:id/reject'],
		['POST', '/community/posts/:id/pin'],
		['POST', '/community/posts/:id/unpin'],
		['POST', '/community/posts/:id/lock'],
		['POST', '/community/posts/:id/unlock'],
		['POST', '/community/posts/:id/view'],
		['POST', '/community/posts/:id/reactions', { emoji: '👍' }],
		['DELETE', `/community/posts/:id/reactions/${encodeURIComponent('👍')}`],
		['POST', '/community/reports/:id/resolve', { action: 'keep' }],
		['GET', '/community/moderation/groups/:id/members'],
		['GET', '/community/moderation/groups/:id/activity'],
		['GET', '/community/moderation/queue?group=:id'],
		['GET', '/community/moderation/queue?course=:id'],
	];

	it.each(communityPaths)('%s %s: 400 INVALID_PAYLOAD', async (method, path, body) => {
		for (const bad of MALFORMED_PATH_IDS) {
			const response = await moderator.api.request(method, path.replace(':id', bad), body ?? (method === 'POST' ? {} : undefined));
			expect(statusAndCode(response), `${path} with ${bad}`).toEqual([400, 'INVALID_PAYLOAD']);
		}
	});

	const itemPaths: Array<[string, Record<string, unknown>]> = [
		['/items/community_posts/:id', { body: 'x' }],
		['/items/community_messages/:id', { body: 'x' }],
		['/items/community_members/:id', { notify: 'none' }],
		['/items/community_groups/:id', { name: 'x' }],
	];

	it.each(itemPaths)('PATCH %s: 403 FORBIDDEN, as Directus answers keys that cannot exist', async (path, body) => {
		for (const bad of MALFORMED_PATH_IDS) {
			const response = await alice.api.patch(path.replace(':id', bad), body);
			expect(statusAndCode(response), `${path} with ${bad}`).toEqual([403, 'FORBIDDEN']);
		}
	});

	const bodies: Array<[string, string, (id: unknown) => unknown]> = [
		['POST', '/items/community_posts { group }', (group) => ({ group, title: 't', body: 'b' })],
		['POST', '/items/community_posts { parent }', (parent) => ({ group: row.groupA, parent, body: 'b' })],
		['POST', '/items/community_messages { group }', (group) => ({ group, body: 'b' })],
		['POST', '/items/community_messages { group, client_id }', (group) => ({ group, body: 'b', client_id: unique('c') })],
		['POST', '/items/community_messages { reply_to }', (reply_to) => ({ group: row.groupA, body: 'b', reply_to })],
		['POST', '/items/community_reports { post }', (post) => ({ post, reason: 'spam' })],
		['POST', '/community/reports { post }', (post) => ({ post, reason: 'spam' })],
		['POST', '/community/reports { message }', (message) => ({ message, reason: 'spam' })],
		['POST', '/community/groups/:groupA/read { message }', (message) => ({ message })],
		['POST', '/community/groups/:groupA/unread { message }', (message) => ({ message })],
		['POST', '/community/notifications/read { ids }', (id) => ({ ids: [id] })],
	];

	it.each(bodies)('%s %s: 400 INVALID_PAYLOAD', async (method, label, body) => {
		const path = label.split(' ')[0]!.replace(':groupA', String(row.groupA));
		for (const bad of MALFORMED_BODY_IDS) {
			const response = await alice.api.request(method, path, body(bad));
			expect(statusAndCode(response), `${label} with ${JSON.stringify(bad)}`).toEqual([400, 'INVALID_PAYLOAD']);
		}
	});

	it('socket events answer INVALID_PAYLOAD', async () => {
		const socket: Socket = await connectAs(alice);
		try {
			const events: Array<[string, (id: unknown) => unknown]> = [
				['group:join', (group) => ({ group })],
				['message:sync', (group) => ({ group })],
				['message:send', (group) => ({ group, body: 'b', client_id: unique('s') })],
				['message:send', (reply_to) => ({ group: row.groupA, body: 'b', client_id: unique('s'), reply_to })],
				['message:edit', (message) => ({ message, body: 'x' })],
				['message:delete', (message) => ({ message })],
				['message:report', (message) => ({ message, reason: 'spam' })],
				['receipt:read', (message) => ({ group: row.groupA, message })],
				['marker:unread', (message) => ({ group: row.groupA, message })],
			];
			for (const [event, payload] of events)
				for (const bad of MALFORMED_BODY_IDS) {
					const { ok, error } = await call(socket, event, payload(bad));
					expect([ok, error?.code], `${event} with ${JSON.stringify(bad)}`).toEqual([false, 'INVALID_PAYLOAD']);
				}
			const sync = await call(socket, 'message:sync', { group: row.groupA, after: 1e20 });
			expect([sync.ok, sync.error?.code]).toEqual([false, 'INVALID_PAYLOAD']);
		} finally {
			socket.close();
		}
	});

	it("admins' writes refuse them with 4xx too", async () => {
		const admin = await asAdmin();
		const writes: Array<[string, string, unknown]> = [
			['PATCH', '/items/community_posts/1e20', { status: 'published' }],
			['PATCH', '/items/community_posts/99999999999', { status: 'deleted' }],
			['POST', '/items/community_posts', { group: row.groupA, parent: 1e20, body: 'b', status: 'published' }],
			['POST', '/items/community_messages', { group: 1e20, body: 'b' }],
			['POST', '/items/community_messages', { group: 'abc', body: 'b' }],
		];
		for (const [method, path, body] of writes) {
			const response = await admin.request(method, path, body);
			expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
			expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
		}
	});
});

describe("other people's e-mail in GET /community/moderation/groups/:id/members", () => {
	/** The seat it takes (Core licence: three) is given back when the file ends. */
	let teacher: TestUser;
	let group: { id: number }, taughtElsewhere: { id: number };
	let studentInstructor: TestUser, studentModerator: TestUser, student: TestUser;

	beforeAll(async () => {
		teacher = await createUser('Instructor', 'teacher');
		[studentInstructor, studentModerator, student] = await Promise.all([
			createUser('Student', 'ta'),
			createUser('Student', 'moderator'),
			createUser('Student', 'student'),
		]);
		const [course, other] = await Promise.all([createCourse(), createCourse()]);
		[group, taughtElsewhere] = await Promise.all([createGroup(course), createGroup(other)]);
		await enroll(teacher, course, { role: 'instructor' });
		await enroll(studentInstructor, course, { role: 'ta' });
		for (const person of [studentModerator, student]) {
			await enroll(person, course);
			await person.api.ok('POST', `/community/groups/${group.id}/join`);
		}
		await addMember(group, studentModerator, { role: 'moderator' });
		// In the other course the teacher is a student made moderator: they moderate there but do not teach.
		await enroll(teacher, other);
		await enroll(student, other);
		await addMember(taughtElsewhere, teacher, { role: 'moderator' });
		await addMember(taughtElsewhere, student);
	});

	afterAll(async () => {
		if (teacher) await (await asAdmin()).ok('PATCH', `/users/${teacher.id}`, { status: 'suspended' });
	});

	const emails = async (caller: TestUser | Api, groupId: number) => {
		const api = 'api' in caller ? caller.api : caller;
		const members = await api.ok<Array<{ user: { id: string; email: string | null } }>>(
			'GET',
			`/community/moderation/groups/${groupId}/members`,
		);
		return Object.fromEntries(members.map((m) => [m.user.id, m.user.email]));
	};

	it('students never read another e-mail, also as group instructor or moderator; instructors where they teach; admins all', async () => {
		const everyone = [teacher, studentInstructor, studentModerator, student];
		const all = Object.fromEntries(everyone.map((person) => [person.id, person.email]));
		const onlyOwn = (caller: TestUser) =>
			Object.fromEntries(everyone.map((person) => [person.id, person === caller ? person.email : null]));

		expect(await emails(await asAdmin(), group.id)).toEqual(all);
		expect(await emails(teacher, group.id)).toEqual(all);
		expect(await emails(studentInstructor, group.id)).toEqual(onlyOwn(studentInstructor));
		expect(await emails(studentModerator, group.id)).toEqual(onlyOwn(studentModerator));
		const denied = await student.api.get(`/community/moderation/groups/${group.id}/members`);
		expect(statusAndCode(denied)).toEqual([403, 'NOT_MODERATOR']);

		// Nowhere in the answer, for members and for the activity view alike.
		for (const caller of [studentInstructor, studentModerator])
			for (const view of ['members', 'activity']) {
				const text = JSON.stringify((await caller.api.get(`/community/moderation/groups/${group.id}/${view}`)).body);
				const others = everyone.filter((person) => person !== caller && text.includes(person.email));
				expect(others.map((person) => person.email)).toEqual([]);
			}

		// Moderating a group is not teaching it: the Instructor-role user reads no other e-mail there.
		expect(await emails(teacher, taughtElsewhere.id)).toEqual({ [teacher.id]: teacher.email, [student.id]: null });
	});

	it('the activity view lists inactive students under the same rule', async () => {
		const inactive = async (caller: TestUser) =>
			(await caller.api.ok('GET', `/community/moderation/groups/${group.id}/activity`)).inactive_members.map(
				(m: { user: { id: string; email: string | null } }) => [m.user.id, m.user.email],
			);
		expect(await inactive(teacher)).toEqual([[student.id, student.email]]);
		expect(await inactive(studentModerator)).toEqual([[student.id, null]]);
		expect(await inactive(studentInstructor)).toEqual([[student.id, null]]);
	});
});
