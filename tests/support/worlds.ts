import type { DirectusInstance } from './directus-instance.js';

/**
 * Two "worlds" for the differential (non-interference) test: two Directus instances built by the same
 * deterministic script through the real REST API. World 2 differs from world 1 only in what group B and its
 * members hold (written after all shared data has settled). A caller outside B must not be able to tell
 * the worlds apart.
 */

export type WorldVariant = 1 | 2;
export type RoleName = 'Student' | 'Instructor' | null;

export interface Person {
	key: PersonKey;
	id: string;
	email: string;
	first_name: string;
	last_name: string;
	role: RoleName;
}

export const PASSWORD = 'differential-Pass-2024';

const person = (key: PersonKey, n: string, first_name: string, role: RoleName, side: 'a' | 'b'): Person => ({
	key,
	id: `${side === 'a' ? 'a' : 'b'}0000000-0000-4000-8000-0000000000${n}`,
	email: `${key}@example.com`,
	first_name,
	last_name: side === 'a' ? 'Alpha' : 'Beta',
	role,
});

export type PersonKey = 'student' | 'ta' | 'instructor' | 'norole' | 'ann' | 'ben' | 'bt' | 'b1' | 'b2';

/** Created in this order in both worlds (fixed ids, so nothing depends on random UUIDs). */
export const PEOPLE: Record<PersonKey, Person> = {
	student: person('student', '01', 'Stella', 'Student', 'a'),
	ta: person('ta', '02', 'Theo', 'Student', 'a'),
	instructor: person('instructor', '03', 'Iris', 'Instructor', 'a'),
	norole: person('norole', '04', 'Nora', null, 'a'),
	ann: person('ann', '05', 'Ann', 'Student', 'a'),
	ben: person('ben', '06', 'Ben', 'Student', 'a'),
	bt: person('bt', '01', 'Bruno', 'Student', 'b'),
	b1: person('b1', '02', 'Bianca', 'Student', 'b'),
	b2: person('b2', '03', 'Boris', 'Student', 'b'),
};

export const B_MEMBERS: PersonKey[] = ['bt', 'b1', 'b2'];

/** World 2 only: B's members get other e-mail addresses and first names (written in the B phase). */
export const B_WORLD2_PROFILE: Record<string, { email: string; first_name: string }> = {
	bt: { email: 'bruno.secretb@secretb-world.org', first_name: 'SecretBruno' },
	b1: { email: 'bianca.secretb@secretb-world.org', first_name: 'SecretBianca' },
	b2: { email: 'boris.secretb@secretb-world.org', first_name: 'SecretBoris' },
};

/** The callers whose reads are compared between the worlds. */
export type CallerKey = 'student' | 'ta' | 'instructor' | 'norole' | 'public';
export const CALLERS: CallerKey[] = ['student', 'ta', 'instructor', 'norole', 'public'];

export interface HttpAnswer {
	status: number;
	type: string;
	text: string;
}

/** One HTTP request, whatever the answer's format (JSON, CSV, XML, YAML, empty). */
export async function http(
	url: string,
	method: string,
	path: string,
	options: { token?: string | null; body?: unknown } = {},
): Promise<HttpAnswer> {
	const headers: Record<string, string> = {};
	if (options.token) headers['authorization'] = `Bearer ${options.token}`;
	if (options.body !== undefined) headers['content-type'] = 'application/json';
	const response = await fetch(url + path, {
		method,
		headers,
		body: options.body === undefined ? undefined : JSON.stringify(options.body),
	});
	return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** Ids of the rows the script wrote (identical in both worlds for the shared part; B extras only in world 2). */
export interface WorldIds {
	courseA: number;
	courseB: number;
	groupA: number;
	groupB: number;
	/** Named rows: posts, messages, reports, receipts, enrollments, members, reactions, notifications. */
	rows: Record<string, number>;
}

export interface World {
	variant: WorldVariant;
	url: string;
	instance: DirectusInstance;
	adminToken: string;
	/** Access tokens of the people (logged in once per world). */
	tokens: Record<PersonKey, string>;
	ids: WorldIds;
	/** UUIDs that stay random per instance (the Administrator role, policies, the public access row) → stable labels. */
	aliases: Map<string, string>;
	/** Every (collection, action, key) a B-phase write made through Directus's services (for the live barrier). */
	bEvents: Array<{ collection: string; action: 'create' | 'update' | 'delete'; key: string }>;
}

export class WorldError extends Error {}

async function ok<T = any>(world: Pick<World, 'url'>, token: string | null, method: string, path: string, body?: unknown): Promise<T> {
	const answer = await http(world.url, method, path, { token, body: body ?? (method === 'GET' ? undefined : {}) });
	if (answer.status >= 300) throw new WorldError(`world ${world.url}: ${method} ${path} → ${answer.status} ${answer.text.slice(0, 400)}`);
	return answer.text ? (JSON.parse(answer.text).data as T) : (null as T);
}

export async function loginAt(url: string, email: string, password: string): Promise<string> {
	const answer = await http(url, 'POST', '/auth/login', { body: { email, password } });
	if (answer.status !== 200) throw new WorldError(`login ${email} at ${url} → ${answer.status} ${answer.text}`);
	return JSON.parse(answer.text).data.access_token;
}

/**
 * The database stamps rows with the server clock in milliseconds. Two consecutive writes landing in the
 * same millisecond in one world and not in the other would sort (and count distinct) differently, so every
 * scripted write starts only once the clock has moved past the previous one: a barrier on the clock, not a
 * sleep of a chosen length.
 */
async function clockTick(): Promise<void> {
	const start = Date.now();
	while (Date.now() <= start + 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Polls (as the admin) until `check` holds; fails with `what` if it never does. */
async function until(what: () => string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new WorldError(`world barrier not reached in ${timeoutMs} ms: ${what()}`);
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

class Script {
	notifications = 0;
	constructor(readonly world: World) {}

	get admin() {
		return this.world.adminToken;
	}

	/** A write through REST as `who` (a person key or 'admin'); waits for the clock to move on. */
	async write<T = any>(who: PersonKey | 'admin', method: string, path: string, body?: unknown): Promise<T> {
		await clockTick();
		const token = who === 'admin' ? this.admin : this.world.tokens[who];
		const result = await ok<T>(this.world, token, method, path, body);
		await clockTick();
		return result;
	}

	/**
	 * After a write with asynchronous consequences (the bundle's action hooks write notifications after
	 * answering): waits until the total number of notifications is exactly what the script expects.
	 */
	async settle(expectedNew: number, label: string): Promise<void> {
		this.notifications += expectedNew;
		const expected = this.notifications;
		let seen = -1;
		await until(
			() => `${label}: ${expected} notifications (seen ${seen})`,
			async () => {
				const rows = await ok<Array<{ count: number | string }>>(
					this.world,
					this.admin,
					'GET',
					'/items/community_notifications?aggregate[count]=*',
				);
				seen = Number(rows[0]?.count ?? 0);
				if (seen > expected) throw new WorldError(`${label}: expected ${expected} notifications, found ${seen}`);
				return seen === expected;
			},
		);
	}

	async post(who: PersonKey, data: Record<string, unknown>, notifications: number, label: string): Promise<number> {
		const row = await this.write<{ id: number }>(who, 'POST', '/items/community_posts', data);
		await this.settle(notifications, label);
		return Number(row.id);
	}

	async message(who: PersonKey, group: number, body: string, clientId: string, notifications: number): Promise<number> {
		const row = await this.write<{ id: number }>(who, 'POST', '/items/community_messages', { group, body, client_id: clientId });
		await this.settle(notifications, `message ${clientId}`);
		return Number(row.id);
	}

	async react(who: PersonKey, post: number, emoji: string, notifications: number): Promise<void> {
		await this.write(who, 'POST', `/community/posts/${post}/reactions`, { emoji });
		await this.settle(notifications, `reaction ${emoji} on ${post}`);
	}

	/** A reaction on a chat message, through Directus's items (no notification). */
	async reactToMessage(who: PersonKey, message: number, emoji: string): Promise<number> {
		const row = await this.write<{ id: number }>(who, 'POST', '/items/community_message_reactions', { message, emoji });
		return Number(row.id);
	}

	async report(who: PersonKey, target: { post: number } | { message: number }, reason: string, notifications: number): Promise<number> {
		const row = await this.write<{ id: number }>(who, 'POST', '/community/reports', { ...target, reason, note: `${reason} report` });
		await this.settle(notifications, `report by ${who}`);
		return Number(row.id);
	}

	async markRead(who: PersonKey, group: number, message: number): Promise<void> {
		await this.write(who, 'POST', `/community/groups/${group}/read`, { message });
	}
}

/** Logs in as the admin and creates the people, courses, memberships and all shared content. */
export async function buildSharedWorld(instance: DirectusInstance, variant: WorldVariant): Promise<World> {
	const world: World = {
		variant,
		url: instance.url,
		instance,
		adminToken: await loginAt(instance.url, instance.admin.email, instance.admin.password),
		tokens: {} as Record<PersonKey, string>,
		ids: { courseA: 0, courseB: 0, groupA: 0, groupB: 0, rows: {} },
		aliases: new Map(),
		bEvents: [],
	};
	const s = new Script(world);
	const rows = world.ids.rows;
	await fixBootstrapIds(world);

	const roles = await ok<Array<{ id: string; name: string }>>(world, s.admin, 'GET', '/roles?fields=id,name&limit=-1');
	const roleId = (name: RoleName) => (name ? roles.find((r) => r.name === name)?.id : null);
	for (const p of Object.values(PEOPLE)) {
		await s.write('admin', 'POST', '/users', {
			id: p.id,
			email: p.email,
			password: PASSWORD,
			first_name: p.first_name,
			last_name: p.last_name,
			role: roleId(p.role) ?? null,
			status: 'active',
		});
	}
	for (const p of Object.values(PEOPLE)) world.tokens[p.key] = await loginAt(world.url, p.email, PASSWORD);

	const course = async (code: string, title: string) => {
		const created = await s.write<{ id: number }>('admin', 'POST', '/items/courses', { title, code, status: 'published' });
		let group = 0;
		await until(
			() => `group of course ${code}`,
			async () => {
				const found = await ok<Array<{ id: number }>>(
					world,
					s.admin,
					'GET',
					`/items/community_groups?filter[course][_eq]=${created.id}&fields=id`,
				);
				group = Number(found[0]?.id ?? 0);
				return group > 0;
			},
		);
		await clockTick();
		return { course: Number(created.id), group };
	};
	const a = await course('CA', 'Course A');
	const b = await course('CB', 'Course B');
	Object.assign(world.ids, { courseA: a.course, courseB: b.course, groupA: a.group, groupB: b.group });
	const A = a.group;
	const B = b.group;
	// B approves student posts, so B has pending posts; A does not.
	await s.write('admin', 'PATCH', `/items/community_groups/${B}`, { require_post_approval: true });

	const enroll = async (who: PersonKey, courseId: number, role: string) => {
		const row = await s.write<{ id: number }>('admin', 'POST', '/items/enrollments', {
			user: PEOPLE[who].id,
			course: courseId,
			role,
			status: 'active',
		});
		rows[`enrollment:${who}`] = Number(row.id);
	};
	await enroll('instructor', a.course, 'instructor');
	await enroll('ta', a.course, 'ta');
	await enroll('student', a.course, 'student');
	await enroll('ann', a.course, 'student');
	await enroll('ben', a.course, 'student');
	await enroll('bt', b.course, 'instructor');
	await enroll('b1', b.course, 'student');
	await enroll('b2', b.course, 'student');

	for (const [who, group] of [
		['student', A],
		['ann', A],
		['ben', A],
		['b1', B],
		['b2', B],
	] as const) {
		const joined = await s.write<{ member: { id: number } }>(who, 'POST', `/community/groups/${group}/join`);
		rows[`member:${who}`] = Number(joined.member.id);
	}

	// Group A: threads, replies, a draft, chat, reactions, a report, read markers.
	rows['postA:welcome'] = await s.post(
		'instructor',
		{ group: A, title: 'Welcome to A', body: 'Course A starts on Monday' },
		0,
		'A welcome',
	);
	rows['postA:reply-ann'] = await s.post(
		'ann',
		{ group: A, parent: rows['postA:welcome'], body: 'Thanks, see you on Monday' },
		1,
		'A reply',
	);
	rows['postA:question'] = await s.post(
		'student',
		{ group: A, title: 'Lab question', body: 'Where is the lab for course A?' },
		0,
		'A thread',
	);
	// One write never notifies the same person twice: rows written by one request may or may not share a
	// millisecond, which would make sorting and counting by date differ between the worlds.
	rows['postA:reply-ben'] = await s.post('ben', { group: A, parent: rows['postA:question'], body: 'Room 1, second floor' }, 1, 'A reply');
	rows['postA:draft'] = await s.post('student', { group: A, title: 'Draft idea', body: 'Not ready yet', status: 'draft' }, 0, 'A draft');
	rows['postA:office'] = await s.post('ta', { group: A, title: 'Office hours', body: 'TA office hours on Friday' }, 0, 'A TA thread');
	rows['postA:reply-mention'] = await s.post(
		'ben',
		{ group: A, parent: rows['postA:office'], body: `Ask <@${PEOPLE.student.id}> as well` },
		2,
		'A reply with a mention',
	);

	rows['msgA:1'] = await s.message('ann', A, 'hello A', 'ann-1', 0);
	rows['msgA:2'] = await s.message('student', A, 'hi from the student', 'student-1', 0);
	rows['msgA:3'] = await s.message('ben', A, `A chat for <@${PEOPLE.ann.id}>`, 'ben-1', 1);
	rows['msgA:4'] = await s.message('ta', A, 'TA here', 'ta-1', 0);
	rows['msgA:sentinel'] = await s.message('ann', A, 'sentinel target', 'ann-2', 0);

	await s.react('student', rows['postA:welcome'], '👍', 1);
	await s.react('ann', rows['postA:question'], '❤️', 1);
	rows['msgReactionA'] = await s.reactToMessage('student', rows['msgA:1'], '👍');
	rows['reportA'] = await s.report('student', { message: rows['msgA:3'] }, 'spam', 2);
	await s.markRead('student', A, rows['msgA:4']);
	await s.markRead('ann', A, rows['msgA:sentinel']);
	await s.markRead('ta', A, rows['msgA:sentinel']);

	// Group B: its own members and some content, shared by both worlds.
	rows['postB:welcome'] = await s.post('bt', { group: B, title: 'Welcome to B', body: 'Course B starts on Tuesday' }, 0, 'B welcome');
	rows['postB:reply-b1'] = await s.post('b1', { group: B, parent: rows['postB:welcome'], body: 'B reply' }, 1, 'B pending reply');
	rows['msgB:1'] = await s.message('b1', B, 'hi B', 'b1-1', 0);
	rows['msgB:2'] = await s.message('b2', B, 'B chat', 'b2-1', 0);
	await s.react('b2', rows['postB:welcome'], '👍', 1);
	rows['msgReactionB'] = await s.reactToMessage('b2', rows['msgB:1'], '🎉');
	rows['reportB'] = await s.report('b2', { message: rows['msgB:1'] }, 'off_topic', 1);
	await s.markRead('b1', B, rows['msgB:2']);

	world.aliases = await worldAliases(world);
	return world;
}

/**
 * World 2 only: what group B and its members hold changes. Every write here concerns B alone; `bEvents`
 * collects the rows written through Directus's services (the live barrier waits for their events).
 */
export async function writeBExtras(world: World): Promise<void> {
	const s = new Script(world);
	s.notifications = await countNotifications(world);
	const rows = world.ids.rows;
	const [lastBefore] = await ok<Array<{ id: number }>>(world, s.admin, 'GET', '/items/community_notifications?fields=id&sort=-id&limit=1');
	const B = world.ids.groupB;
	const event = (collection: string, action: 'create' | 'update' | 'delete', key: number | string) =>
		world.bEvents.push({ collection, action, key: String(key) });

	await s.write('admin', 'PATCH', `/items/community_groups/${B}`, { description: 'secretB group notes' });
	event('community_groups', 'update', B);
	for (const key of B_MEMBERS) {
		await s.write('admin', 'PATCH', `/users/${PEOPLE[key].id}`, B_WORLD2_PROFILE[key]);
		event('directus_users', 'update', PEOPLE[key].id);
	}

	rows['postB:secret'] = await s.post('bt', { group: B, title: 'secretB plan', body: 'secretB body text' }, 0, 'B secret thread');
	event('community_posts', 'create', rows['postB:secret']);
	rows['postB:pending'] = await s.post('b1', { group: B, title: 'secretB pending', body: 'secretB waiting for approval' }, 1, 'B pending');
	event('community_posts', 'create', rows['postB:pending']);
	rows['postB:reply-b2'] = await s.post('b2', { group: B, parent: rows['postB:secret'], body: 'secretB reply' }, 1, 'B pending reply');
	event('community_posts', 'create', rows['postB:reply-b2']);
	rows['postB:reply-bt'] = await s.post('bt', { group: B, parent: rows['postB:secret'], body: 'secretB instructor reply' }, 0, 'B reply');
	event('community_posts', 'create', rows['postB:reply-bt']);

	rows['msgB:secret1'] = await s.message('b1', B, 'secretB message one', 'b1-secret-1', 0);
	event('community_messages', 'create', rows['msgB:secret1']);
	rows['msgB:secret2'] = await s.message('b2', B, `secretB message two for <@${PEOPLE.b1.id}>`, 'b2-secret-1', 1);
	event('community_messages', 'create', rows['msgB:secret2']);
	rows['msgB:secret3'] = await s.message('bt', B, 'secretB three', 'bt-secret-1', 0);
	event('community_messages', 'create', rows['msgB:secret3']);

	await s.react('b1', rows['postB:secret'], '🎉', 1);
	await s.react('b2', rows['postB:secret'], '😮', 1);
	rows['msgReactionB:secret'] = await s.reactToMessage('b1', rows['msgB:secret1'], '❤️');
	event('community_message_reactions', 'create', rows['msgReactionB:secret']);
	rows['reportB:secret-msg'] = await s.report('b1', { message: rows['msgB:secret2'] }, 'harassment', 1);
	event('community_reports', 'create', rows['reportB:secret-msg']);
	rows['reportB:secret-post'] = await s.report('b2', { post: rows['postB:secret'] }, 'other', 1);
	event('community_reports', 'create', rows['reportB:secret-post']);

	// The admin hides a B message and removes a B reaction (Directus's own item routes).
	await s.write('admin', 'PATCH', `/items/community_messages/${rows['msgB:secret3']}`, { hidden_at: '2030-01-01T00:00:00.000Z' });
	event('community_messages', 'update', rows['msgB:secret3']);
	const [reaction] = await ok<Array<{ id: number }>>(
		world,
		s.admin,
		'GET',
		`/items/community_post_reactions?filter[post][_eq]=${rows['postB:secret']}&filter[user][_eq]=${PEOPLE.b2.id}&fields=id`,
	);
	rows['reactionB:removed'] = Number(reaction!.id);
	await s.write('admin', 'DELETE', `/items/community_post_reactions/${reaction!.id}`);
	event('community_post_reactions', 'delete', reaction!.id);

	await s.markRead('b1', B, rows['msgB:secret2']);
	await s.markRead('bt', B, rows['msgB:secret2']);

	// Notifications the B phase created (through the bundle's hooks): the live barrier waits for them too.
	const created = await ok<Array<{ id: number; recipient: string }>>(
		world,
		s.admin,
		'GET',
		`/items/community_notifications?filter[id][_gt]=${lastBefore?.id ?? 0}&fields=id,recipient&sort=id&limit=-1`,
	);
	created.forEach((row, i) => (rows[`notificationB:${i}`] = Number(row.id)));
}

/** The sentinel: an edit of an A message by its sender, identical in both worlds, that every A member receives. */
export async function writeSentinel(world: World): Promise<void> {
	await new Script(world).write('ann', 'PATCH', `/items/community_messages/${world.ids.rows['msgA:sentinel']}`, {
		body: 'SENTINEL edited',
	});
}
export const SENTINEL_BODY = 'SENTINEL edited';

export async function countNotifications(world: World): Promise<number> {
	const rows = await ok<Array<{ count: number | string }>>(
		world,
		world.adminToken,
		'GET',
		'/items/community_notifications?aggregate[count]=*',
	);
	return Number(rows[0]?.count ?? 0);
}

export const ROOT_ADMIN = {
	id: 'f0000000-0000-4000-8000-000000000001',
	email: 'root@example.com',
	roleId: 'f0000000-0000-4000-8000-0000000000a1',
};
const fixedAccessId = (n: number) => `f0000000-0000-4000-8000-0000000000c${n}`;

/**
 * `directus bootstrap` gives the admin user and the access rows `community setup` creates random UUIDs, so
 * anything listing or sorting users (an app user reads every user) would order them differently in each
 * world. The script replaces them with fixed ids, the same way in both worlds: an admin `root` with a fixed
 * id and role (holding the bootstrap admin policy) takes over and the bootstrap admin is deleted; the
 * Student and Instructor roles' access rows are re-created with fixed ids. What is left random (the unused
 * Administrator role, the policies and the public access row) is labelled by `worldAliases`.
 */
async function fixBootstrapIds(world: World): Promise<void> {
	const bootstrap = await ok<{ id: string; role: string }>(world, world.adminToken, 'GET', '/users/me?fields=id,role');
	const [adminAccess] = await ok<Array<{ policy: string }>>(
		world,
		world.adminToken,
		'GET',
		`/access?filter[role][_eq]=${bootstrap.role}&fields=policy`,
	);
	await ok(world, world.adminToken, 'POST', '/roles', { id: ROOT_ADMIN.roleId, name: 'Root', icon: 'verified_user' });
	await ok(world, world.adminToken, 'POST', '/access', { id: fixedAccessId(0), role: ROOT_ADMIN.roleId, policy: adminAccess!.policy });
	await ok(world, world.adminToken, 'POST', '/users', {
		id: ROOT_ADMIN.id,
		email: ROOT_ADMIN.email,
		password: PASSWORD,
		first_name: 'Root',
		last_name: 'Admin',
		role: ROOT_ADMIN.roleId,
		status: 'active',
	});
	world.adminToken = await loginAt(world.url, ROOT_ADMIN.email, PASSWORD);
	await ok(world, world.adminToken, 'DELETE', `/users/${bootstrap.id}`);
	const rows = await ok<Array<{ id: string; role: string; policy: string }>>(
		world,
		world.adminToken,
		'GET',
		'/access?filter[role][_in]=0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a01,0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a02&fields=id,role,policy&sort=role,policy',
	);
	let n = 1;
	for (const row of rows) {
		await ok(world, world.adminToken, 'POST', '/access', { id: fixedAccessId(n++), role: row.role, policy: row.policy });
		await ok(world, world.adminToken, 'DELETE', `/access/${row.id}`);
	}
}

/**
 * The UUIDs still random after `fixBootstrapIds` (the Administrator role, the admin and public policies, the
 * public access row) are labelled by what they are, so an answer that mentions them compares equal.
 */
async function worldAliases(world: World): Promise<Map<string, string>> {
	const aliases = new Map<string, string>();
	const get = (path: string) => ok<Array<Record<string, any>>>(world, world.adminToken, 'GET', path);
	const fixed = new Set([...Object.values(PEOPLE).map((p) => p.id), ROOT_ADMIN.id, ROOT_ADMIN.roleId]);
	for (const user of await get('/users?fields=id,email&limit=-1'))
		if (!fixed.has(user['id'])) aliases.set(user['id'], `<user:${user['email']}>`);
	for (const role of await get('/roles?fields=id,name&limit=-1')) aliases.set(role['id'], `<role:${role['name']}>`);
	for (const policy of await get('/policies?fields=id,name&limit=-1')) aliases.set(policy['id'], `<policy:${policy['name']}>`);
	for (const row of await get('/access?fields=id,role,user,policy&limit=-1')) {
		const owner = aliases.get(row['role']) ?? aliases.get(row['user']) ?? row['role'] ?? row['user'] ?? 'public';
		aliases.set(row['id'], `<access:${owner}:${aliases.get(row['policy']) ?? row['policy']}>`);
	}
	// Our own fixed ids keep their value (they are the same in both worlds).
	for (const id of fixed) aliases.delete(id);
	for (let n = 0; n < 10; n++) aliases.delete(fixedAccessId(n));
	for (const id of ['0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a01', '0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a02']) aliases.delete(id);
	for (const id of ['6f1d3c2a-7b4e-4c1a-9a51-0c0b3e6d1a01', '6f1d3c2a-7b4e-4c1a-9a51-0c0b3e6d1a02']) aliases.delete(id);
	return aliases;
}

export async function adminGet<T = any>(world: World, path: string): Promise<T> {
	return ok<T>(world, world.adminToken, 'GET', path);
}
