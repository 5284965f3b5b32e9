import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

export interface ApiResponse<T = any> {
	status: number;
	body: T;
}

/** A tiny REST client: real HTTP against the test Directus, with or without a bearer token. */
export class Api {
	constructor(
		readonly url: string,
		readonly token: string | null = null,
	) {}

	async request<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
		const headers: Record<string, string> = {};
		if (this.token) headers['authorization'] = `Bearer ${this.token}`;
		if (body !== undefined) headers['content-type'] = 'application/json';
		const response = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
		const text = await response.text();
		return { status: response.status, body: text ? JSON.parse(text) : null };
	}

	get<T = any>(path: string) {
		return this.request<T>('GET', path);
	}
	post<T = any>(path: string, body?: unknown) {
		return this.request<T>('POST', path, body ?? {});
	}
	patch<T = any>(path: string, body: unknown) {
		return this.request<T>('PATCH', path, body);
	}
	delete<T = any>(path: string) {
		return this.request<T>('DELETE', path);
	}

	/** Like `request`, but fails the test on a non-2xx answer and returns `data`. */
	async ok<T = any>(method: string, path: string, body?: unknown): Promise<T> {
		const response = await this.request(method, path, body);
		if (response.status >= 300) throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`);
		return response.body?.data as T;
	}
}

export function directusUrl(): string {
	return inject('directus').url;
}

export async function login(email: string, password: string, url = directusUrl()): Promise<string> {
	const response = await new Api(url).post('/auth/login', { email, password });
	if (response.status !== 200) throw new Error(`login ${email} → ${response.status} ${JSON.stringify(response.body)}`);
	return response.body.data.access_token;
}

let adminApi: Api | null = null;
export async function asAdmin(): Promise<Api> {
	if (!adminApi) {
		const { admin } = inject('directus');
		adminApi = new Api(directusUrl(), await login(admin.email, admin.password));
	}
	return adminApi;
}

export const unique = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

export interface TestUser {
	id: string;
	email: string;
	password: string;
	api: Api;
}

export type RoleName = 'Student' | 'Instructor';

/** A real user created by the admin and logged in through /auth/login. */
export async function createUser(role: RoleName | null, name = 'user'): Promise<TestUser> {
	const admin = await asAdmin();
	const email = `${unique(name)}@example.com`.toLowerCase();
	const password = randomBytes(9).toString('hex');
	const roleId = role ? (await admin.ok<Array<{ id: string }>>('GET', `/roles?filter[name][_eq]=${role}&fields=id`))[0]?.id : null;
	const user = await admin.ok<{ id: string }>('POST', '/users', {
		email,
		password,
		first_name: name,
		last_name: 'Tester',
		role: roleId,
		status: 'active',
	});
	return { id: user.id, email, password, api: new Api(directusUrl(), await login(email, password)) };
}

export interface Course {
	id: number;
	code: string;
}

export async function createCourse(): Promise<Course> {
	const admin = await asAdmin();
	const code = unique('C').toUpperCase();
	return admin.ok<Course>('POST', '/items/courses', { title: `Course ${code}`, code, status: 'published' });
}

export interface EnrollmentInput {
	role?: 'student' | 'instructor' | 'ta';
	status?: 'active' | 'pending_payment' | 'suspended' | 'cancelled' | 'completed';
	starts_at?: string | null;
	expires_at?: string | null;
}

export async function enroll(user: TestUser, course: Course, input: EnrollmentInput = {}): Promise<{ id: number }> {
	return (await asAdmin()).ok('POST', '/items/enrollments', {
		user: user.id,
		course: course.id,
		role: 'student',
		status: 'active',
		...input,
	});
}

/** Polls until `check` returns a value (for work Directus does after answering, like action hooks). */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 5_000, what = 'condition'): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** The group the bundle creates with every course, with `input` applied by the admin. */
export async function createGroup(course: Course, input: Record<string, unknown> = {}): Promise<{ id: number }> {
	const admin = await asAdmin();
	const group = await eventually(
		async () => (await admin.ok<Array<{ id: number }>>('GET', `/items/community_groups?filter[course][_eq]=${course.id}`))[0],
	);
	if (Object.keys(input).length > 0) await admin.ok('PATCH', `/items/community_groups/${group.id}`, input);
	return group;
}

export interface MemberInput {
	role?: 'student' | 'instructor' | 'moderator';
	status?: 'active' | 'muted' | 'banned' | 'left' | 'expired';
}

/** Sets a membership directly as the admin (creating or updating it), bypassing the join rules. */
export async function addMember(group: { id: number }, user: TestUser, input: MemberInput = {}): Promise<{ id: number }> {
	const admin = await asAdmin();
	const [existing] = await admin.ok<Array<{ id: number }>>(
		'GET',
		`/items/community_members?filter[group][_eq]=${group.id}&filter[user][_eq]=${user.id}`,
	);
	if (existing) return admin.ok('PATCH', `/items/community_members/${existing.id}`, { role: 'student', status: 'active', ...input });
	return admin.ok('POST', '/items/community_members', { group: group.id, user: user.id, role: 'student', status: 'active', ...input });
}

export const ids = (rows: Array<{ id: number }>): number[] => rows.map((row) => row.id).sort((a, b) => a - b);
