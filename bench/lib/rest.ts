import autocannon from 'autocannon';
import type { Deployment } from './deployments.js';
import { knexFor } from './insert-loop.js';
import { AdminApi, createStudents, studentToken } from './seed.js';

export interface RestScale {
	groups: number;
	members: number;
	posts: number;
	/** Messages in the big group; the small group has `smallGroupMessages`. */
	bigGroupMessages: number;
	smallGroupMessages: number;
	durationS: number;
	connections: number;
}

export interface RestCase {
	name: string;
	requestsPerS: number;
	p50: number;
	p99: number;
	non2xx: number;
	errors: number;
}

const tag = () => Math.random().toString(36).slice(2, 8);

/**
 * A large dataset in bulk, on PostgreSQL: courses and groups through the API (so the bundle makes the groups),
 * people in bulk over REST, then memberships, posts and messages with generate_series in SQL.
 */
export async function seedRestDataset(deployment: Deployment, admin: AdminApi, scale: RestScale, log: (line: string) => void) {
	const started = performance.now();
	const groups: Array<{ id: number; course: number }> = [];
	for (let i = 0; i < scale.groups; i++) {
		const code = `R-${tag()}`;
		const course = await admin.call<{ id: number }>('POST', '/items/courses', { title: `REST ${code}`, code, status: 'published' });
		let group: { id: number } | undefined;
		while (!group) {
			[group] = await admin.call<Array<{ id: number }>>('GET', `/items/community_groups?filter[course][_eq]=${course.id}&fields=id`);
			if (!group) await new Promise((resolve) => setTimeout(resolve, 50));
		}
		groups.push({ id: group.id, course: course.id });
	}
	const people = await createStudents(admin, scale.members + 2, 'rest');
	const [readerSmall, readerBig, ...members] = people as [string, string, ...string[]];
	const db = knexFor(deployment);
	try {
		const now = new Date().toISOString();
		const memberships = members.map((user, i) => ({ user, group: groups[i % groups.length]! }));
		const small = groups[1]!;
		const big = groups[2]!;
		memberships.push({ user: readerSmall, group: small }, { user: readerBig, group: big });
		for (let i = 0; i < memberships.length; i += 1000) {
			const batch = memberships.slice(i, i + 1000);
			await db('enrollments').insert(
				batch.map(({ user, group }) => ({ user, course: group.course, role: 'student', status: 'active', date_created: now })),
			);
			await db('community_members').insert(
				batch.map(({ user, group }) => ({
					group: group.id,
					user,
					role: 'student',
					status: 'active',
					notify: 'all',
					joined_at: now,
					date_created: now,
				})),
			);
		}
		const authorOf = (groupId: number) => memberships.find((m) => m.group.id === groupId)!.user;
		const perGroup = Math.ceil(scale.posts / groups.length);
		for (const group of groups) {
			await db.raw(
				`INSERT INTO community_posts ("group", author, title, body, status, pinned, locked, view_count, reply_count, reaction_counts, last_activity_at, date_created)
				 SELECT ?, ?, 'Thread ' || i, 'Body of thread ' || i, 'published', false, false, 0, 0, '{}', now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval
				 FROM generate_series(1, ?) AS i`,
				[group.id, authorOf(group.id), perGroup],
			);
		}
		for (const [group, count] of [
			[small, scale.smallGroupMessages],
			[big, scale.bigGroupMessages],
			[groups[0]!, 1_000],
		] as const) {
			await db.raw(
				`INSERT INTO community_messages ("group", sender, body, seq, date_created)
				 SELECT ?, ?, 'message ' || i, i, now() - ((? - i) || ' milliseconds')::interval FROM generate_series(1, ?) AS i`,
				[group.id, authorOf(group.id), count, count],
			);
			await db('community_groups').where({ id: group.id }).update({ last_seq: count });
		}
		await db.raw(
			`UPDATE community_groups g SET member_count = (SELECT count(*) FROM community_members m WHERE m."group" = g.id AND m.status IN ('active', 'muted'))`,
		);
		await db.raw('ANALYZE');
		// The two readers have read all but the last 50 messages of their group.
		for (const [user, group, count] of [
			[readerSmall, small, scale.smallGroupMessages],
			[readerBig, big, scale.bigGroupMessages],
		] as const) {
			const message = await db('community_messages')
				.where({ group: group.id, seq: count - 50 })
				.first('id');
			await db('community_message_receipts').insert({
				group: group.id,
				user,
				last_read_message: message.id,
				last_read_seq: count - 50,
				read_at: now,
			});
		}
		log(
			`  seeded ${scale.groups} groups, ${memberships.length} members, ${perGroup * groups.length} posts, ${scale.bigGroupMessages + scale.smallGroupMessages + 1000} messages in ${Math.round((performance.now() - started) / 1000)} s`,
		);
		return { groups, members, readerSmall, readerBig, studentInFirstGroup: memberships.find((m) => m.group.id === groups[0]!.id)!.user };
	} finally {
		await db.destroy();
	}
}

async function measure(
	name: string,
	url: string,
	token: string,
	scale: RestScale,
	request: { method?: 'GET' | 'POST'; body?: string } = {},
): Promise<RestCase> {
	const result = await autocannon({
		url,
		connections: scale.connections,
		duration: scale.durationS,
		method: request.method ?? 'GET',
		headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
		body: request.body,
	});
	return {
		name,
		requestsPerS: Math.round(result.requests.average),
		p50: result.latency.p50,
		p99: result.latency.p99,
		non2xx: result.non2xx,
		errors: result.errors,
	};
}

export async function runRest(
	deployment: Deployment,
	admin: AdminApi,
	scale: RestScale,
	log: (line: string) => void,
	policyOffUrl: string,
) {
	const seed = await seedRestDataset(deployment, admin, scale, log);
	const url = deployment.urls[0]!;
	const token = (user: string) => studentToken(deployment.secret, user);
	const first = seed.groups[0]!.id;
	const listing = `${url}/items/community_posts?filter[group][_eq]=${first}&filter[parent][_null]=true&sort=-last_activity_at&limit=20&fields=id,title,author,reply_count,last_activity_at`;
	const student = token(seed.studentInFirstGroup);
	const cases: RestCase[] = [];
	const run = async (name: string, target: string, bearer: string, request?: { method?: 'GET' | 'POST'; body?: string }) => {
		const result = await measure(name, target, bearer, scale, request);
		cases.push(result);
		log(`  ${name}: ${result.requestsPerS} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, non-2xx ${result.non2xx}`);
	};
	await run('student lists a group’s threads (row filters)', listing, student);
	await run('admin lists the same threads', listing, admin.accessToken);
	await run('student, read policy off (bench-only instance)', listing.replace(url, policyOffUrl), student);
	const [withPolicy, asAdmin, policyOff] = cases as [RestCase, RestCase, RestCase];
	await run('student sends a message over REST', `${url}/items/community_messages`, student, {
		method: 'POST',
		body: JSON.stringify({ group: first, body: 'Hello over REST' }),
	});
	await run('GET /community/me/groups (unread counts)', `${url}/community/me/groups`, student);
	await run(`unread: ${scale.smallGroupMessages} messages in the group, 50 unread`, `${url}/community/me/groups`, token(seed.readerSmall));
	await run(`unread: ${scale.bigGroupMessages} messages in the group, 50 unread`, `${url}/community/me/groups`, token(seed.readerBig));
	const small = cases.at(-2)!;
	const big = cases.at(-1)!;
	const ratio = (a: RestCase, b: RestCase) => Math.round((b.requestsPerS / Math.max(a.requestsPerS, 1)) * 100) / 100;
	return {
		cases,
		studentCostVsAdmin: ratio(withPolicy, asAdmin),
		studentCostVsPolicyOff: ratio(withPolicy, policyOff),
		unreadCostRatio: Math.round((big.p50 / Math.max(small.p50, 0.01)) * 100) / 100,
	};
}
