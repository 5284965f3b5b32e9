// `npm run demo`: a demo course with an instructor, three students and a community, on the running server.
// Safe to run again: it finds what exists, fills in what is missing, and prints fresh logins.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnvFile } from './lib/env-file.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = parseEnvFile(readFileSync(process.env.CONFIG_PATH ?? path.join(root, '.env'), 'utf8'));
const url = env.PUBLIC_URL ?? `http://${env.HOST ?? '127.0.0.1'}:${env.PORT ?? '8055'}`;
const COURSE_CODE = 'DEMO-101';

async function call(method, route, body, token) {
	const response = await fetch(url + route, {
		method,
		headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`${method} ${route} → ${response.status} ${text}`);
	return text ? JSON.parse(text).data : null;
}

const login = await fetch(`${url}/auth/login`, {
	method: 'POST',
	headers: { 'content-type': 'application/json' },
	body: JSON.stringify({ email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }),
}).catch(() => null);
if (!login?.ok) {
	console.error(`Cannot log in as ${env.ADMIN_EMAIL} on ${url}: start the server first (npm start).`);
	process.exit(1);
}
const adminToken = (await login.json()).data.access_token;
const admin = (method, route, body) => call(method, route, body, adminToken);

async function findOne(collection, filter) {
	const query = Object.entries(filter)
		.map(([field, value]) => `filter[${field}][_eq]=${encodeURIComponent(value)}`)
		.join('&');
	const prefix = collection.startsWith('directus_') ? `/${collection.slice(9)}` : `/items/${collection}`;
	return (await admin('GET', `${prefix}?${query}&limit=1`))[0] ?? null;
}

async function ensure(collection, filter, data) {
	const prefix = collection.startsWith('directus_') ? `/${collection.slice(9)}` : `/items/${collection}`;
	return (await findOne(collection, filter)) ?? admin('POST', prefix, { ...filter, ...data });
}

const roles = {
	Student: (await findOne('directus_roles', { name: 'Student' }))?.id,
	Instructor: (await findOne('directus_roles', { name: 'Instructor' }))?.id,
};
if (!roles.Student || !roles.Instructor) throw new Error('Roles missing: run `npx directus community setup` (npm start does).');

const people = [
	{
		key: 'instructor',
		email: 'demo.instructor@example.com',
		first_name: 'Ines',
		last_name: 'Instructor',
		role: roles.Instructor,
		enrollment: { role: 'instructor', status: 'active' },
	},
	{
		key: 'student',
		email: 'demo.student@example.com',
		first_name: 'Sam',
		last_name: 'Student',
		role: roles.Student,
		enrollment: { role: 'student', status: 'active' },
	},
	{
		key: 'expired',
		email: 'demo.expired@example.com',
		first_name: 'Eve',
		last_name: 'Expired',
		role: roles.Student,
		enrollment: { role: 'student', status: 'active', expires_at: new Date(Date.now() - 7 * 86_400_000).toISOString() },
	},
	{
		key: 'pending',
		email: 'demo.pending@example.com',
		first_name: 'Pat',
		last_name: 'Pending',
		role: roles.Student,
		enrollment: { role: 'student', status: 'pending_payment' },
	},
];

const course = await ensure('courses', { code: COURSE_CODE }, { title: 'Introduction to Biology', status: 'published' });
// The bundle creates the course's group right after the course; wait for it, then configure it.
let group = null;
for (let attempt = 0; attempt < 100 && !group; attempt++) {
	group = await findOne('community_groups', { course: course.id });
	if (!group) await new Promise((resolve) => setTimeout(resolve, 100));
}
if (!group) throw new Error('The community group of the demo course was not created: is the bundle loaded?');
await admin('PATCH', `/items/community_groups/${group.id}`, {
	name: 'Biology 101 community',
	description: 'Questions, answers and chat for **Biology 101**.',
	require_post_approval: true,
	chat_enabled: true,
});

const logins = [];
const ids = {};
const tokens = {};
for (const person of people) {
	const password = randomBytes(9).toString('base64url');
	let user = await findOne('directus_users', { email: person.email });
	if (user) await admin('PATCH', `/users/${user.id}`, { password, status: 'active' });
	else
		user = await admin('POST', '/users', {
			email: person.email,
			password,
			first_name: person.first_name,
			last_name: person.last_name,
			role: person.role,
			status: 'active',
		});
	ids[person.key] = user.id;
	logins.push({ who: person.key, email: person.email, password });
	await ensure('enrollments', { user: user.id, course: course.id }, person.enrollment);
	tokens[person.key] = (await call('POST', '/auth/login', { email: person.email, password })).access_token;
}
const as = (key) => (method, route, body) => call(method, route, body, tokens[key]);

// The student joins through the API, like the app does; the instructor is a member through the enrollment.
await as('student')('POST', `/community/groups/${group.id}/join`);
// Eve was a member before her enrollment ran out: her membership is expired, her history stays.
const eve = await findOne('community_members', { group: group.id, user: ids.expired });
if (!eve)
	await admin('POST', '/items/community_members', {
		group: group.id,
		user: ids.expired,
		role: 'student',
		status: 'expired',
		joined_at: new Date().toISOString(),
	});

const welcome =
	(await findOne('community_posts', { group: group.id, title: 'Welcome to Biology 101' })) ??
	(await as('instructor')('POST', '/items/community_posts', {
		group: group.id,
		title: 'Welcome to Biology 101',
		body: 'Introduce yourself below. **Be kind.**',
	}));
await as('instructor')('POST', `/community/posts/${welcome.id}/pin`);
if (!(await findOne('community_posts', { parent: welcome.id, author: ids.student }))) {
	await as('student')('POST', '/items/community_posts', {
		group: group.id,
		parent: welcome.id,
		body: `Hi all, I am Sam! Thanks <@${ids.instructor}>.`,
	});
}
// Approval is on in this group, so the student's question waits for the instructor.
if (!(await findOne('community_posts', { group: group.id, title: 'Is the lab on Friday?' }))) {
	await as('student')('POST', '/items/community_posts', {
		group: group.id,
		title: 'Is the lab on Friday?',
		body: 'I could not find it in the syllabus.',
	});
}
await as('student')('POST', `/community/posts/${welcome.id}/reactions`, { emoji: '👍' });
await as('student')('POST', `/community/posts/${welcome.id}/view`);

const chat = [
	['instructor', 'Welcome to the course chat!'],
	['student', 'Thanks! Where are the slides?'],
	['instructor', 'In the Files tab of the course.'],
	['instructor', 'Lab safety quiz opens tomorrow.'],
];
const sent = [];
for (const [index, [who, body]] of chat.entries()) {
	// client_id makes the sends idempotent: running the demo again adds nothing.
	sent.push(await as(who)('POST', '/items/community_messages', { group: group.id, body, client_id: `demo-${index + 1}` }));
}
// Sam has read up to his own question: two instructor messages stay unread for him.
await as('student')('POST', `/community/groups/${group.id}/read`, { message: sent[1].id });

console.log(`\nDemo course ${COURSE_CODE} and its community are ready on ${url}\n`);
console.table(logins);
console.log('instructor: admin app and moderation · student: active member · expired: enrollment expired · pending: payment pending\n');
