/**
 * `npm run bench:profile`: one Directus under a steady chat load with V8's CPU profiler on, then the hottest
 * functions and packages by self time. This is how docs/performance.md's "where the time goes" was made.
 * `--rate=N --seconds=N`; `--db=postgres` (default sqlite); `--rooms=published` for the published room profile
 * (rooms of 2 to 1,000) instead of three small rooms.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sweepChat } from './lib/chat.js';
import { startSingle } from './lib/deployments.js';
import { seedChatRooms } from './lib/seed.js';
import { adminOf, communityTarget, roomsOf } from './lib/targets.js';

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	hitCount?: number;
}

const rate = Number(process.argv.find((a) => a.startsWith('--rate='))?.slice(7) ?? 50);
const durationS = Number(process.argv.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 15);
const db = process.argv.find((a) => a.startsWith('--db='))?.slice(5) === 'postgres' ? 'postgres' : 'sqlite';
const published = process.argv.includes('--rooms=published');
const ROOMS = published ? [2, 2, 2, 2, 2, 10, 10, 10, 100, 100, 1000] : [2, 10, 50];
const dir = mkdtempSync(path.join(tmpdir(), 'lms-community-profile-'));

function where(url: string): string {
	const modules = url.lastIndexOf('node_modules/');
	if (modules >= 0) {
		const rest = url.slice(modules + 'node_modules/'.length).split('/');
		return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
	}
	if (url.includes('/extensions/')) return 'lms-community bundle';
	return url.startsWith('node:') || url === '' ? 'node internals' : url;
}

async function main() {
	// Directus reads its config from the .env file, but Node reads NODE_OPTIONS from the process environment.
	process.env['NODE_OPTIONS'] = `--cpu-prof --cpu-prof-dir=${dir}`;
	const deployment = await startSingle('profiled', db);
	delete process.env['NODE_OPTIONS'];
	let stopped = false;
	try {
		const seed = await seedChatRooms(await adminOf(deployment), ROOMS);
		await sweepChat(
			communityTarget(`ours, ${db} (profiled)`, deployment, seed),
			roomsOf(seed),
			seed.sender,
			{ rates: [rate], durationS, workers: 2, p99LimitMs: 100_000, drainMs: 2000 },
			console.log,
		);
		await deployment.stop();
		stopped = true;
	} finally {
		if (!stopped) await deployment.stop();
	}

	// The profile of the server process is the largest file (the CLI's own short runs write small ones).
	const files = readdirSync(dir)
		.filter((f) => f.endsWith('.cpuprofile'))
		.map((f) => path.join(dir, f));
	const file = files.sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0];
	if (!file) throw new Error(`no CPU profile in ${dir}`);
	const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; startTime: number; endTime: number };
	const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
	const byFunction = new Map<string, number>();
	const byPlace = new Map<string, number>();
	for (const node of profile.nodes) {
		const hits = node.hitCount ?? 0;
		if (hits === 0) continue;
		const { functionName, url, lineNumber } = node.callFrame;
		const key = `${functionName || '(anonymous)'} ${where(url)}${url.includes('node_modules') || url.includes('/extensions/') ? `:${lineNumber + 1}` : ''}`;
		byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
		byPlace.set(where(url), (byPlace.get(where(url)) ?? 0) + hits);
	}
	const top = (map: Map<string, number>, n: number) =>
		[...map.entries()]
			.sort((a, b) => b[1] - a[1])
			.slice(0, n)
			.map(([name, hits]) => `| ${name} | ${((hits / totalHits) * 100).toFixed(1)} % |`);
	console.log(`\nCPU profile: ${file} (${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s)`);
	console.log('\n| where (package) | self time |\n| --- | --- |');
	console.log(top(byPlace, 15).join('\n'));
	console.log('\n| function | self time |\n| --- | --- |');
	console.log(top(byFunction, 25).join('\n'));
}

main().then(
	() => process.exit(0),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
