import { asAdmin, createCourse, createGroup, createUser, enroll, type Course, type TestUser } from './api.js';

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
