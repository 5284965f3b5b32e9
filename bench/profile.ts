/**
 * `npm run bench:profile`: one Directus under chat load with V8's CPU profiler on for one phase, then the hottest
 * functions and packages by self time. This is how docs/performance.md's "where the time goes" was made.
 * `--phase=sweep` (default: a steady `--rate=N` for `--seconds=N` after every receiver joined) or `--phase=connect`
 * (every receiver connecting and joining its room); `--db=postgres` (default sqlite); `--rooms=published` for the
 * published room profile (rooms of 2 to 1,000) instead of three small rooms. The profiler is driven over the
 * inspector protocol, so Directus's start and the seeding stay out of the profile.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectChat, sweepChat } from './lib/chat.js';
import { startSingle } from './lib/deployments.js';
import { seedChatRooms } from './lib/seed.js';
import { adminOf, communityTarget, roomsOf } from './lib/targets.js';

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	hitCount?: number;
}
interface CpuProfile {
	nodes: ProfileNode[];
	startTime: number;
	endTime: number;
}

const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rate = Number(option('rate') ?? 50);
const durationS = Number(option('seconds') ?? 15);
const db = option('db') === 'postgres' ? 'postgres' : 'sqlite';
const phase = option('phase') === 'connect' ? 'connect' : 'sweep';
const published = option('rooms') === 'published';
const ROOMS = published ? [2, 2, 2, 2, 2, 10, 10, 10, 100, 100, 1000] : [2, 10, 50];
const INSPECTOR_PORT = 9339;

function where(url: string): string {
	const modules = url.lastIndexOf('node_modules/');
	if (modules >= 0) {
		const rest = url.slice(modules + 'node_modules/'.length).split('/');
		return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
	}
	if (url.includes('/extensions/')) return 'lms-community bundle';
	return url.startsWith('node:') || url === '' ? 'node internals' : url;
}

/** The server's V8 profiler over the inspector protocol (the server runs with `--inspect` on INSPECTOR_PORT). */
async function inspectorProfiler() {
	const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
	const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
	await new Promise((resolve, reject) => (ws.addEventListener('open', resolve), ws.addEventListener('error', reject)));
	let id = 0;
	const call = (method: string, params: Record<string, unknown> = {}) =>
		new Promise<any>((resolve) => {
			const mine = ++id;
			const listener = (event: MessageEvent) => {
				const reply = JSON.parse(String(event.data));
				if (reply.id !== mine) return;
				ws.removeEventListener('message', listener);
				resolve(reply.result);
			};
			ws.addEventListener('message', listener);
			ws.send(JSON.stringify({ id: mine, method, params }));
		});
	await call('Profiler.enable');
	await call('Profiler.setSamplingInterval', { interval: 500 });
	return {
		start: () => call('Profiler.start'),
		async stop(): Promise<CpuProfile> {
			const { profile } = await call('Profiler.stop');
			ws.close();
			return profile;
		},
	};
}

async function main() {
	// Directus reads its config from the .env file, but Node reads NODE_OPTIONS from the process environment.
	// The CLI's short runs before the server get the option too; each has ended before the next binds the port.
	process.env['NODE_OPTIONS'] = `--inspect=127.0.0.1:${INSPECTOR_PORT}`;
	const deployment = await startSingle('profiled', db);
	delete process.env['NODE_OPTIONS'];
	let profile: CpuProfile;
	try {
		const seed = await seedChatRooms(await adminOf(deployment), ROOMS);
		const target = communityTarget(`ours, ${db} (profiled)`, deployment, seed);
		const options = { rates: [rate], durationS, workers: 2, p99LimitMs: 100_000, drainMs: 2000 };
		const profiler = await inspectorProfiler();
		if (phase === 'connect') {
			await profiler.start();
			const connection = await connectChat(target, roomsOf(seed), seed.sender, options);
			console.log(`connected and joined in ${Math.round(connection.connectMs)} ms`);
			profile = await profiler.stop();
			await connection.close();
		} else {
			await sweepChat(target, roomsOf(seed), seed.sender, options, console.log, () => profiler.start());
			profile = await profiler.stop();
		}
	} finally {
		await deployment.stop();
	}

	const file = path.join(tmpdir(), `lms-community-${phase}-${Date.now()}.cpuprofile`);
	writeFileSync(file, JSON.stringify(profile));
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
	console.log(`\nCPU profile (${phase}): ${file} (${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s)`);
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
