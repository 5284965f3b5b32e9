/**
 * `npm run bench`: chat latency and throughput against a bare Socket.IO relay and Directus's own realtime,
 * REST cost under the row filters, unread counts at scale, startup and footprint. Prints tables and writes a
 * JSON result (bench-results/). `--full` is the published profile, `--smoke` a tiny one for `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sweepChat, type ChatRunOptions, type RoomPlan } from './lib/chat.js';
import { startBeside, startPair, startRelay, startSingle, type Deployment } from './lib/deployments.js';
import { insertLoop, messageCounter } from './lib/insert-loop.js';
import { sampleProcess } from './lib/process-stats.js';
import { runRest, type RestScale } from './lib/rest.js';
import { markdownReport, ratios } from './lib/report.js';
import { seedChatRooms, type ChatSeed } from './lib/seed.js';
import { adminOf, communityTarget, relayTarget, roomsOf } from './lib/targets.js';

interface Profile {
	name: 'smoke' | 'quick' | 'full';
	rooms: number[];
	chat: ChatRunOptions;
	insertLoopS: number;
	rest: RestScale;
	twoInstances: boolean;
}

const PROFILES: Record<Profile['name'], Profile> = {
	smoke: {
		name: 'smoke',
		rooms: [2, 3],
		chat: { rates: [5], durationS: 1, workers: 1, p99LimitMs: 100, drainMs: 1000 },
		insertLoopS: 1,
		rest: { groups: 3, members: 20, posts: 300, bigGroupMessages: 2_000, smallGroupMessages: 500, durationS: 1, connections: 2 },
		twoInstances: false,
	},
	quick: {
		name: 'quick',
		rooms: [2, 10, 50],
		chat: { rates: [20, 50, 100], durationS: 4, workers: 2, p99LimitMs: 100, drainMs: 1500 },
		insertLoopS: 3,
		rest: { groups: 10, members: 400, posts: 20_000, bigGroupMessages: 100_000, smallGroupMessages: 10_000, durationS: 5, connections: 10 },
		twoInstances: true,
	},
	full: {
		name: 'full',
		rooms: [2, 2, 2, 2, 2, 10, 10, 10, 100, 100, 1000],
		chat: { rates: [25, 50, 100, 200, 400, 800], durationS: 10, workers: 2, p99LimitMs: 100, drainMs: 3000 },
		insertLoopS: 10,
		rest: {
			groups: 50,
			members: 2_000,
			posts: 200_000,
			bigGroupMessages: 1_000_000,
			smallGroupMessages: 10_000,
			durationS: 10,
			connections: 10,
		},
		twoInstances: true,
	},
};

const args = process.argv.slice(2);
const profile = PROFILES[args.includes('--full') ? 'full' : args.includes('--smoke') ? 'smoke' : 'quick'];
const outArg = args.find((a) => a.startsWith('--out='))?.slice('--out='.length);
/** `--only=rest` (or `chat`): one part of the run, e.g. to measure a fix of that part again. */
const only = args
	.find((a) => a.startsWith('--only='))
	?.slice('--only='.length)
	.split(',');
const wants = (part: 'chat' | 'rest') => !only || only.includes(part);
const redisUrl = process.env['BENCH_REDIS'] ?? 'redis://127.0.0.1:6379';
const log = (line: string) => console.log(line);

function commit(): string {
	try {
		return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
	} catch {
		return 'unknown';
	}
}

/** A sweep of our socket on a seeded deployment, counting what it stores. */
async function sweepOurs(name: string, deployment: Deployment, seed: ChatSeed, afterConnect?: () => Promise<void>) {
	const counter = messageCounter(deployment);
	try {
		return await sweepChat(
			communityTarget(name, deployment, seed, counter.count),
			roomsOf(seed),
			seed.sender,
			profile.chat,
			log,
			afterConnect,
		);
	} finally {
		await counter.close();
	}
}

async function main() {
	const started = performance.now();
	const result: Record<string, any> = {
		commit: commit(),
		date: new Date().toISOString(),
		command: [
			'npm run bench',
			...(args.some((a) => !a.startsWith('--out=')) ? ['--', ...args.filter((a) => !a.startsWith('--out='))] : []),
		].join(' '),
		profile: profile.name,
		machine: {
			cpus: os.cpus().length,
			cpuModel: os.cpus()[0]?.model,
			memoryGb: Math.round(os.totalmem() / 2 ** 30),
			node: process.version,
		},
		parameters: { rooms: profile.rooms, chat: profile.chat, rest: profile.rest, insertLoopS: profile.insertLoopS },
		chat: [] as unknown[],
	};
	const sweeps: Array<Awaited<ReturnType<typeof sweepChat>>> = [];

	log(`# Benchmark (${profile.name}) on ${result.machine.cpus} cores, ${result.machine.cpuModel}`);

	if (wants('chat')) {
		log('\n## Startup');
		const coldStarted = performance.now();
		const sqlite = await startSingle('one instance, SQLite', 'sqlite');
		const coldMs = performance.now() - coldStarted;
		await new Promise((resolve) => setTimeout(resolve, 2_000));
		result.startup = {
			coldStartMs: Math.round(coldMs),
			startToPingMs: Math.round(sqlite.instances[0]!.startupMs),
			idleRssMb: Math.round(sampleProcess(sqlite.pids[0]!).rssMb),
		};
		log(
			`  cold (bootstrap + setup + start) ${result.startup.coldStartMs} ms; start → /server/ping ${result.startup.startToPingMs} ms; idle RSS ${result.startup.idleRssMb} MB`,
		);

		try {
			log('\n## Chat: one instance, SQLite');
			const sqliteAdmin = await adminOf(sqlite);
			const sqliteSeed = await seedChatRooms(sqliteAdmin, profile.rooms);
			const sqliteCounter = messageCounter(sqlite);
			try {
				sweeps.push(
					await sweepOurs('ours, SQLite', sqlite, sqliteSeed, async () => {
						const receivers = sqliteSeed.rooms.reduce((sum, room) => sum + room.members.length, 0) + 1;
						await new Promise((resolve) => setTimeout(resolve, 2_000));
						result.startup.idleSockets = receivers;
						result.startup.rssWithIdleSocketsMb = Math.round(sampleProcess(sqlite.pids[0]!).rssMb);
						log(`  RSS with ${receivers} idle sockets: ${result.startup.rssWithIdleSocketsMb} MB`);
					}),
				);

				log('\n## Baseline (b): Directus realtime over /websocket, same instance');
				sweeps.push(
					await sweepChat(
						{
							name: 'Directus realtime (/websocket)',
							protocol: 'directus-ws',
							receiverUrls: sqlite.urls,
							senderUrl: sqlite.urls[0]!,
							serverPids: sqlite.pids,
							// Subscribers and sender as the admin: Directus's realtime is admin-only under the read policy
							// (docs/security.md), and this baseline measures it as it comes, without any row scoping.
							tokenFor: () => sqliteAdmin.accessToken,
							senderToken: sqliteAdmin.accessToken,
							storedMessages: sqliteCounter.count,
						},
						roomsOf(sqliteSeed),
						sqliteSeed.sender,
						profile.chat,
						log,
					),
				);

				log('\n## Baseline (c): our socket in Directus, nothing stored (COMMUNITY_BENCH_RELAY_ONLY)');
				const relayOnly = await startBeside('ours, relay only', sqlite, { COMMUNITY_BENCH_RELAY_ONLY: 'true' });
				try {
					sweeps.push(
						await sweepChat(
							communityTarget('ours, nothing stored', relayOnly, sqliteSeed),
							roomsOf(sqliteSeed),
							sqliteSeed.sender,
							profile.chat,
							log,
						),
					);
				} finally {
					await relayOnly.stop();
				}

				log('\n## Baseline (d): bare insert loop, SQLite');
				result.insertLoop = { sqlite: await insertLoop(sqlite, sqliteSeed.rooms[0]!.group, sqliteSeed.sender, profile.insertLoopS) };
				log(`  ${result.insertLoop.sqlite.rowsPerS} rows/s, p99 ${result.insertLoop.sqlite.latency.p99} ms`);
			} finally {
				await sqliteCounter.close();
			}
		} finally {
			await sqlite.stop();
		}

		log('\n## Baseline (a): bare Socket.IO relay');
		const relay = await startRelay();
		try {
			const fakeRooms: RoomPlan[] = profile.rooms.map((size, i) => ({
				group: i + 1,
				members: Array.from({ length: size }, (_, j) => `${i}-${j}`),
			}));
			sweeps.push(await sweepChat(relayTarget(relay), fakeRooms, 'sender', profile.chat, log));
		} finally {
			await relay.stop();
		}
	}

	log('\n## Chat and REST: one instance, PostgreSQL');
	const postgres = await startSingle('one instance, PostgreSQL', 'postgres');
	try {
		const pgAdmin = await adminOf(postgres);
		if (wants('chat')) {
			const pgSeed = await seedChatRooms(pgAdmin, profile.rooms);
			sweeps.push(await sweepOurs('ours, PostgreSQL', postgres, pgSeed));
			result.insertLoop = {
				...result.insertLoop,
				postgres: await insertLoop(postgres, pgSeed.rooms[0]!.group, pgSeed.sender, profile.insertLoopS),
			};
			log(`  insert loop: ${result.insertLoop.postgres.rowsPerS} rows/s, p99 ${result.insertLoop.postgres.latency.p99} ms`);
		}
		if (wants('rest')) {
			log('\n## REST, PostgreSQL');
			// The same database behind a second process without the read policy: the student's cost without it.
			const policyOff = await startBeside('PostgreSQL, read policy off', postgres, { COMMUNITY_BENCH_READ_POLICY_OFF: 'true' });
			try {
				result.rest = await runRest(postgres, pgAdmin, profile.rest, log, policyOff.urls[0]!);
			} finally {
				await policyOff.stop();
			}
		}
	} finally {
		await postgres.stop();
	}

	if (profile.twoInstances && wants('chat')) {
		log('\n## Chat: two instances, PostgreSQL + Redis (receivers split over both, sender on the first)');
		const pair = await startPair('two instances, PostgreSQL + Redis', redisUrl);
		try {
			sweeps.push(await sweepOurs('ours, 2 instances + Redis', pair, await seedChatRooms(await adminOf(pair), profile.rooms)));
		} finally {
			await pair.stop();
		}
	}

	result.chat = sweeps;
	result.ratios = ratios(sweeps);
	result.elapsedS = Math.round((performance.now() - started) / 1000);
	const report = markdownReport(result);
	log(`\n${report}`);
	const out = path.resolve(outArg ?? path.join('bench-results', `bench-${profile.name}-${result.date.replace(/[:.]/g, '-')}.json`));
	mkdirSync(path.dirname(out), { recursive: true });
	writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
	writeFileSync(out.replace(/\.json$/, '.md'), `${report}\n`);
	log(`\nresult: ${out}`);
}

main().then(
	() => process.exit(0),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
