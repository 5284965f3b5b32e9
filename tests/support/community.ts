import { randomBytes } from 'node:crypto';
import { asAdmin, createCourse, createGroup, createUser, enroll, eventually, type Api, type Course, type TestUser } from './api.js';

export interface CommunityFixture {
	course: Course;
	group: { id: number };
	/** Student-role user teaching the course: the enrollment makes them a group instructor. */
	instructor: TestUser;
	students: TestUser[];
}

/**
 * A course with its group, an instructor (enrollment role instructor) and students who joined through
 * the join endpoint, as real users would.
 */
export async function communityFixture(options: { students?: number; group?: Record<string, unknown> } = {}): Promise<CommunityFixture> {
	const course = await createCourse();
	const group = await createGroup(course, options.group);
	const instructor = await createUser('Student', 'teacher');
	await enroll(instructor, course, { role: 'instructor' });
	const students = await Promise.all(Array.from({ length: options.students ?? 2 }, (_, i) => createUser('Student', `student${i + 1}`)));
	for (const student of students) {
		await enroll(student, course);
		const joined = await student.api.post(`/community/groups/${group.id}/join`);
		if (joined.status !== 200) throw new Error(`join failed: ${JSON.stringify(joined.body)}`);
	}
	return { course, group, instructor, students };
}

export const errorCode = (response: { body: any }) => response.body?.errors?.[0]?.extensions?.code;

export async function notificationsOf(user: TestUser, type?: string): Promise<any[]> {
	const filter = type ? `&filter[type][_eq]=${type}` : '';
	return user.api.ok('GET', `/items/community_notifications?limit=200&sort=id${filter}`);
}

export async function membershipOf(group: { id: number }, user: TestUser): Promise<any> {
	const admin = await asAdmin();
	const [member] = await admin.ok<any[]>('GET', `/items/community_members?filter[group][_eq]=${group.id}&filter[user][_eq]=${user.id}`);
	return member;
}

export interface Person {
	id: string;
	email: string;
	password: string;
}

/**
 * On an instance of a test's own (not the global one): a course with the named Student-role users enrolled
 * (as students, or as instructors when `teaching` names them), and the id of the group their enrollment made.
 */
export async function enrolledCourse<Name extends string>(
	admin: Api,
	course: { title: string; code: string },
	names: readonly Name[],
	teaching: readonly Name[] = [],
): Promise<{ groupId: number; people: Record<Name, Person> }> {
	const [studentRole] = await admin.ok<Array<{ id: string }>>('GET', '/roles?filter[name][_eq]=Student');
	const { id: courseId } = await admin.ok<{ id: number }>('POST', '/items/courses', course);
	const people = {} as Record<Name, Person>;
	for (const name of names) {
		const password = randomBytes(8).toString('hex');
		const email = `${name}-${randomBytes(3).toString('hex')}@example.com`;
		const user = await admin.ok<{ id: string }>('POST', '/users', {
			email,
			password,
			first_name: name,
			role: studentRole!.id,
			status: 'active',
		});
		people[name] = { id: user.id, email, password };
		const role = teaching.includes(name) ? 'instructor' : 'student';
		await admin.ok('POST', '/items/enrollments', { user: user.id, course: courseId, role, status: 'active' });
	}
	const group = await eventually(
		async () => (await admin.ok<Array<{ id: number }>>('GET', `/items/community_groups?filter[course][_eq]=${courseId}`))[0],
	);
	return { groupId: group.id, people };
}
