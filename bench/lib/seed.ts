import jwt from 'jsonwebtoken';
import { STUDENT_ROLE_ID } from '../../extensions/lms-community/src/lib/access/rules.js';

/** Admin REST calls for seeding: bulk creates, one request per collection and room where Directus allows it. */
export class AdminApi {
	constructor(
		readonly url: string,
		private token = '',
	) {}

	async login(email: string, password: string): Promise<this> {
		const { access_token } = await this.call<{ access_token: string }>('POST', '/auth/login', { email, password });
		this.token = access_token;
		return this;
	}

	get accessToken(): string {
		return this.token;
	}

	async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
		const response = await fetch(this.url + path, {
			method,
			headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text.slice(0, 300)}`);
		return text ? JSON.parse(text).data : (undefined as T);
	}
}

/** A Directus access token for a student, signed with the instance's SECRET as Directus signs them. */
export function studentToken(secret: string, userId: string): string {
	return jwt.sign({ id: userId, role: STUDENT_ROLE_ID, app_access: false, admin_access: false }, secret, {
		issuer: 'directus',
		expiresIn: '6h',
	});
}

export interface ChatRoom {
	group: number;
	course: number;
	/** Receiving members (the sender is a member of every room on top). */
	members: string[];
}

export interface ChatSeed {
	rooms: ChatRoom[];
	sender: string;
}

const tag = () => Math.random().toString(36).slice(2, 8);

/** Users without passwords (tokens are signed, not logged in), in bulk. */
export async function createStudents(admin: AdminApi, count: number, label: string): Promise<string[]> {
	const ids: string[] = [];
	// Batches of 100: MAX_BATCH_MUTATION in the deployment's config.
	for (let offset = 0; offset < count; offset += 100) {
		const batch = Array.from({ length: Math.min(100, count - offset) }, (_, i) => ({
			email: `${label}-${offset + i}-${tag()}@bench.example.com`,
			first_name: label,
			last_name: String(offset + i),
			role: STUDENT_ROLE_ID,
			status: 'active',
		}));
		ids.push(...(await admin.call<Array<{ id: string }>>('POST', '/users?fields=id', batch)).map((u) => u.id));
	}
	return ids;
}

/** One course (and so one group) per room, every member enrolled and in the group, plus one sender in all rooms. */
export async function seedChatRooms(admin: AdminApi, roomSizes: number[]): Promise<ChatSeed> {
	const total = roomSizes.reduce((a, b) => a + b, 0);
	const [sender, ...people] = await createStudents(admin, total + 1, 'chat');
	const rooms: ChatRoom[] = [];
	let cursor = 0;
	for (const size of roomSizes) {
		const code = `B-${tag()}`;
		const course = await admin.call<{ id: number }>('POST', '/items/courses', { title: `Bench ${code}`, code, status: 'published' });
		let group: { id: number } | undefined;
		for (let attempt = 0; attempt < 100 && !group; attempt++) {
			[group] = await admin.call<Array<{ id: number }>>('GET', `/items/community_groups?filter[course][_eq]=${course.id}&fields=id`);
			if (!group) await new Promise((resolve) => setTimeout(resolve, 50));
		}
		if (!group) throw new Error(`no group for course ${course.id}`);
		await admin.call('PATCH', `/items/community_groups/${group.id}`, { slow_mode_seconds: 0, chat_enabled: true });
		const members = people.slice(cursor, cursor + size);
		cursor += size;
		const everyone = [sender!, ...members];
		await admin.call(
			'POST',
			'/items/enrollments',
			everyone.map((user) => ({ user, course: course.id, role: 'student', status: 'active' })),
		);
		await admin.call(
			'POST',
			'/items/community_members',
			everyone.map((user) => ({ group: group!.id, user, role: 'student', status: 'active' })),
		);
		rooms.push({ group: group.id, course: course.id, members });
	}
	return { rooms, sender: sender! };
}
