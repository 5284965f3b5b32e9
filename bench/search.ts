/**
 * `npm run bench:search`: search over 1M chat messages and 200k posts on PostgreSQL. Builds a deployment,
 * generates the rows with bulk SQL (the index triggers run on every row, as they would in production), and
 * asks GET /community/search as a student who reads 5 of the 40 groups: a common word, a rare word and a
 * phrase, for posts and messages, sequentially over HTTP (auth, read scope and all). Prints p50/p95 and the
 * index sizes. SEARCH_BENCH_MESSAGES / SEARCH_BENCH_POSTS make a smaller run.
 */
import knex from 'knex';
import { PG_CONNECTION } from '../tests/support/directus-instance.js';
import { STUDENT_ROLE_ID } from '../extensions/lms-community/src/lib/access/rules.js';
import { startBeside, startSingle } from './lib/deployments.js';
import { AdminApi } from './lib/seed.js';

const MESSAGES = Number(process.env['SEARCH_BENCH_MESSAGES'] ?? 1_000_000);
const POSTS = Number(process.env['SEARCH_BENCH_POSTS'] ?? 200_000);
const GROUPS = 40;
const READ_GROUPS = 5;
const REQUESTS = 100;
const WARMUP = 10;
/** How deep the cursor is followed once per query, 50 hits a page: past the 5 × 250 ranked hits, into the older ones. */
const DEEP_PAGES = 40;
/** The server's default COMMUNITY_SEARCH_RANK_WINDOW (community/search.ts). */
const RANK_WINDOW = 250;

/** A vocabulary drawn with a skew (cube of a uniform draw): its first words are common, its last ones rare. */
const WORDS = `the a to and of is in it you that for on with this exam lecture homework question answer week
	notes slides quiz grade deadline project group reading chapter problem solution help thanks please review
	submit draft lab data theory proof example formula graph result method paper source cite library office
	hours tutor forum online campus schedule room time today tomorrow friday monday morning evening study plan`
	.split(/\s+/)
	.filter(Boolean);
const RARE = 'xylophone';
const sqlWords = `ARRAY[${WORDS.map((w) => `'${w}'`).join(',')}]`;
/** `length` to `length + 2` words; the subquery names the outer row's `i`, so PostgreSQL draws new words for every row. */
const sentence = (length: number) =>
	`array_to_string(ARRAY(SELECT (${sqlWords})[1 + floor(power(random(), 3) * ${WORDS.length})::int] FROM generate_series(1, ${length} + i % 3)), ' ')`;

function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const deployment = await startSingle('search', 'postgres');
const db = knex({ client: 'pg', connection: { ...PG_CONNECTION, database: (deployment.connection as { database: string }).database } });
try {
	const instance = deployment.instances[0]!;
	const url = deployment.urls[0]!;
	const admin = await new AdminApi(url).login(instance.admin.email, instance.admin.password);
	const adminId = (await admin.call('GET', '/users/me')).id as string;

	let started = performance.now();
	const courses = await db('courses')
		.insert(Array.from({ length: GROUPS }, (_, i) => ({ title: `Course ${i + 1}`, code: `BENCH-${i + 1}`, status: 'published' })))
		.returning('id');
	const groupIds: number[] = [];
	for (const course of courses) {
		const [row] = await db('community_groups')
			.insert({ course: course.id, name: `Group of ${course.id}`, status: 'active' })
			.returning('id');
		groupIds.push(Number(row.id));
	}
	const groupArray = `ARRAY[${groupIds.join(',')}]`;
	const groupOf = (expr: string) => `(${groupArray})[1 + (${expr}) % ${GROUPS}]`;
	// Threads first (a tenth of the posts), then replies to a thread of the same group.
	const threads = Math.floor(POSTS / 10);
	const [{ id: firstThread }] = (
		await db.raw(
			`INSERT INTO community_posts ("group", author, parent, title, body, status, last_activity_at, date_created, reaction_counts)
		SELECT ${groupOf('i')}, ?, NULL, ${sentence(5)}, ${sentence(40)} || CASE WHEN i % 50 = 0 THEN ' the exam date is friday' ELSE '' END
			|| CASE WHEN i % 20000 = 7 THEN ' ${RARE}' ELSE '' END, 'published', now(), now() - (i || ' minutes')::interval, '{}'
		FROM generate_series(0, ${threads - 1}) AS i ORDER BY i RETURNING id`,
			[adminId],
		)
	).rows;
	await db.raw(
		`INSERT INTO community_posts ("group", author, parent, body, status, last_activity_at, date_created, reaction_counts)
		SELECT ${groupOf('i')}, ?, ${firstThread} + ((i * 7919) % ${Math.floor(threads / GROUPS)}) * ${GROUPS} + (i % ${GROUPS}),
			${sentence(30)} || CASE WHEN i % 50 = 0 THEN ' the exam date is friday' ELSE '' END
			|| CASE WHEN i % 20000 = 11 THEN ' ${RARE}' ELSE '' END, 'published', now(), now() - (i || ' seconds')::interval, '{}'
		FROM generate_series(0, ${POSTS - threads - 1}) AS i`,
		[adminId],
	);
	await db.raw(
		`INSERT INTO community_messages ("group", sender, body, seq, date_created)
		SELECT ${groupOf('i')}, ?, ${sentence(12)} || CASE WHEN i % 50 = 0 THEN ' the exam date is friday' ELSE '' END
			|| CASE WHEN i % 20000 = 3 THEN ' ${RARE}' ELSE '' END, 1 + i / ${GROUPS}, now() - (i || ' seconds')::interval
		FROM generate_series(0, ${MESSAGES - 1}) AS i`,
		[adminId],
	);
	await db.raw(`UPDATE community_groups g SET last_seq = (SELECT coalesce(max(seq), 0) FROM community_messages m WHERE m."group" = g.id)`);
	await db.raw('ANALYZE');
	const generatedS = (performance.now() - started) / 1000;

	// A student in the first READ_GROUPS courses, joined as members do.
	const email = `bench-search-${Date.now()}@example.com`;
	const password = 'bench-password-1';
	const student = await admin.call('POST', '/users', { email, password, role: STUDENT_ROLE_ID, status: 'active', first_name: 'Bench' });
	const api = await new AdminApi(url).login(email, password);
	for (let i = 0; i < READ_GROUPS; i++) {
		await admin.call('POST', '/items/enrollments', { user: student.id, course: courses[i].id, role: 'student', status: 'active' });
		await api.call('POST', `/community/groups/${groupIds[i]}/join`);
	}

	const queries = { 'common word': 'exam', 'rare word': RARE, phrase: '"exam date"' };
	type Row = { ranking: string; type: string; kind: string; hits: number; p50: number; p95: number; deep: string };
	const results: Row[] = [];
	const ask = async (base: string, path: string) => {
		started = performance.now();
		const response = await fetch(base + path, { headers: { authorization: `Bearer ${api.accessToken}` } });
		const body = await response.json();
		const ms = performance.now() - started;
		if (response.status !== 200) throw new Error(`${path} → ${response.status} ${JSON.stringify(body)}`);
		return { ms, hits: body.data.length as number, next: body.meta.next_cursor as string | null };
	};
	const measure = async (base: string, ranking: string) => {
		for (const type of ['messages', 'posts']) {
			for (const [kind, q] of Object.entries(queries)) {
				const path = `/community/search?type=${type}&q=${encodeURIComponent(q)}&limit=20`;
				const times: number[] = [];
				let first = { ms: 0, hits: 0, next: null as string | null };
				for (let i = 0; i < WARMUP + REQUESTS; i++) {
					first = await ask(base, path);
					if (i >= WARMUP) times.push(first.ms);
				}
				// The walk through DEEP_PAGES pages of 50 by cursor, from the first.
				const deep: number[] = [];
				for (let page = 1, cursor: string | null = ''; page <= DEEP_PAGES && cursor !== null; page++) {
					const answer = await ask(base, `${path.replace('limit=20', 'limit=50')}${cursor ? `&cursor=${cursor}` : ''}`);
					deep.push(answer.ms);
					cursor = answer.next;
				}
				results.push({
					ranking,
					type,
					kind,
					hits: first.hits,
					p50: percentile(times, 50),
					p95: percentile(times, 95),
					deep: deep.length ? `${percentile(deep, 50).toFixed(1)} (${deep.length})` : '–',
				});
			}
		}
	};
	await measure(url, `newest ${RANK_WINDOW} per group`);
	// The same database and student, every match ranked (COMMUNITY_SEARCH_RANK_WINDOW=0), for comparison.
	const everyMatch = await startBeside('search-every-match', deployment, { COMMUNITY_SEARCH_RANK_WINDOW: '0' });
	try {
		await measure(everyMatch.urls[0]!, 'every match');
	} finally {
		await everyMatch.stop();
	}
	const sizes = (
		await db.raw(`SELECT c.relname AS name, pg_size_pretty(pg_total_relation_size(c.oid)) AS total
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE (n.nspname = 'community_search' AND c.relkind IN ('r', 'i')) OR (n.nspname = 'public' AND c.relname IN ('community_messages', 'community_posts'))
			ORDER BY n.nspname, c.relname`)
	).rows as Array<{ name: string; total: string }>;

	console.log(
		`\n${MESSAGES.toLocaleString('en')} messages, ${POSTS.toLocaleString('en')} posts in ${GROUPS} groups (generated in ${generatedS.toFixed(0)} s); the student reads ${READ_GROUPS} groups.`,
	);
	console.log(`${REQUESTS} sequential requests per row after ${WARMUP} warm-up, over HTTP, 20 hits a page.\n`);
	console.log(
		'| ranking | type | query | hits on page 1 | p50 ms | p95 ms | walk of 50-hit pages: p50 ms (pages) |\n| --- | --- | --- | --- | --- | --- | --- |',
	);
	for (const row of results)
		console.log(
			`| ${row.ranking} | ${row.type} | ${row.kind} | ${row.hits} | ${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} | ${row.deep} |`,
		);
	console.log('\n| relation | size (with indexes, TOAST) |\n| --- | --- |');
	for (const row of sizes) console.log(`| ${row.name} | ${row.total} |`);
} finally {
	await db.destroy();
	await deployment.stop();
}
