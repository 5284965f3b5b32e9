/**
 * `npm run bench:wire`: the chat send path against the bare Socket.IO relay (issue "Chat at wire speed"), on
 * PostgreSQL. Parts (`--only=published,writes,pair,connect`):
 * - published: the published room profile (rooms of 2 to 1,000, one sender), ours and the relay, the sweep
 *   refined in ×1.25 steps; connect time of all receivers; RSS per idle joined socket.
 * - writes: a write-bound profile (60 rooms of 2–10, each room's first member sending), against the bare insert loop.
 * - pair: two instances + Redis, senders and receivers spread over both, once per Redis adapter, beside one
 *   instance at the same rate: server CPU per message and cross-instance latency.
 * - connect: connect and join of the published profile's receivers alone, the relay and ours taking turns (at
 *   least 3 times each), with the server's and PostgreSQL's CPU per socket.
 * `--runs=N` repeats each sweep and reports the median highest rate. Prints tables, writes JSON beside them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureConnect, sweepChat, type ChatRunOptions, type ChatTarget, type RoomPlan } from './lib/chat.js';
import { startPair, startRelay, startSingle, type Deployment } from './lib/deployments.js';
import { insertLoop, messageCounter } from './lib/insert-loop.js';
import { sampleProcess } from './lib/process-stats.js';
import { seedChatRooms } from './lib/seed.js';
import { adminOf, communityTarget, relayTarget, roomsOf } from './lib/targets.js';

const args = process.argv.slice(2);
const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 1);
const only = args
	.find((a) => a.startsWith('--only='))
	?.slice('--only='.length)
	.split(',');
/** `connect` runs only when asked for: the published part measures connects too, once per sweep. */
const wants = (part: string) => (only ? only.includes(part) : part !== 'connect');
const redisUrl = process.env['BENCH_REDIS'] ?? 'redis://127.0.0.1:6379';
const log = (line: string) => console.log(line);

const PUBLISHED_ROOMS = [2, 2, 2, 2, 2, 10, 10, 10, 100, 100, 1000];
const WRITE_ROOMS = Array.from({ length: 60 }, (_, i) => 2 + (i % 9));
const published: ChatRunOptions = {
	rates: [50, 100, 200, 400, 800],
	durationS: 8,
	workers: 2,
	p99LimitMs: 100,
	drainMs: 3000,
	refine: true,
};
const writes: ChatRunOptions = {
	rates: [250, 500, 1000, 1500, 2000],
	durationS: 8,
	workers: 2,
	p99LimitMs: 100,
	drainMs: 2000,
	senderPerRoom: true,
	refine: true,
};
const PAIR_RATE = 300;

/** The relay's rooms: numbered groups of named members (it checks no token). */
const fakeRoomsOf = (sizes: number[]): RoomPlan[] =>
	sizes.map((size, i) => ({ group: i + 1, members: Array.from({ length: size }, (_, j) => `${i}-${j}`) }));
const receiversOf = (sizes: number[]) => sizes.reduce((a, b) => a + b, 0);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Sweep = Awaited<ReturnType<typeof sweepChat>>;

/** Sweeps `runs` times; answers every sweep and the median highest sustained rate. */
async function repeated(
	target: ChatTarget,
	rooms: RoomPlan[],
	sender: string,
	options: ChatRunOptions,
	afterConnect?: () => Promise<void>,
) {
	const sweeps: Sweep[] = [];
	for (let run = 0; run < runs; run++) {
		log(`\n### ${target.name}, run ${run + 1}/${runs}`);
		sweeps.push(await sweepChat(target, rooms, sender, options, log, run === 0 ? afterConnect : undefined));
	}
	return { sweeps, medianRate: median(sweeps.map((s) => s.highestSustainedRate)), medianConnectMs: median(sweeps.map((s) => s.connectMs)) };
}

/** RSS of `pid` before and after its receivers connected and joined, per socket. */
function memoryProbe(pid: number, sockets: number) {
	const before = sampleProcess(pid).rssMb;
	return async () => {
		await settle(3_000);
		const after = sampleProcess(pid).rssMb;
		const perSocketKb = ((after - before) * 1024) / sockets;
		memory.push({ pid, sockets, rssBeforeMb: Math.round(before), rssAfterMb: Math.round(after), perSocketKb: Math.round(perSocketKb) });
	};
}
const memory: Array<{ pid: number; sockets: number; rssBeforeMb: number; rssAfterMb: number; perSocketKb: number }> = [];

async function main() {
	const result: Record<string, any> = {
		date: new Date().toISOString(),
		command: ['npm run bench:wire', ...(args.length ? ['--', ...args] : [])].join(' '),
		machine: {
			cpus: os.cpus().length,
			cpuModel: os.cpus()[0]?.model,
			memoryGb: Math.round(os.totalmem() / 2 ** 30),
			node: process.version,
		},
		runs,
	};
	const receivers = receiversOf(PUBLISHED_ROOMS);

	if (wants('published')) {
		log('\n## Published profile: the bare relay');
		const relay = await startRelay();
		const fakeRooms = fakeRoomsOf(PUBLISHED_ROOMS);
		try {
			const relayMemory = memoryProbe(relay.pid, receivers);
			result.relay = await repeated(relayTarget(relay), fakeRooms, 'sender', published, relayMemory);
			result.relay.memory = memory.at(-1);
		} finally {
			await relay.stop();
		}
	}

	if (wants('connect')) {
		log('\n## Connect and join all receivers: the relay and ours in turns');
		const relay = await startRelay();
		const postgres = await startSingle('one instance, PostgreSQL', 'postgres');
		try {
			const seed = await seedChatRooms(await adminOf(postgres), PUBLISHED_ROOMS);
			const turns = [
				{ target: relayTarget(relay), rooms: fakeRoomsOf(PUBLISHED_ROOMS), sender: 'sender' },
				{ target: communityTarget('ours, PostgreSQL', postgres, seed), rooms: roomsOf(seed), sender: seed.sender },
			];
			const measured: Array<Awaited<ReturnType<typeof measureConnect>>> = [];
			for (let run = 0; run < Math.max(runs, 3); run++)
				for (const turn of turns) {
					const one = await measureConnect(turn.target, turn.rooms, turn.sender, published);
					log(
						`  ${one.target}: ${one.connectMs} ms, server ${one.serverCpuMsPerSocket} ms/socket, database ${one.databaseCpuMsPerSocket} ms/socket`,
					);
					measured.push(one);
				}
			result.connect = measured;
		} finally {
			await postgres.stop();
			await relay.stop();
		}
	}

	if (wants('published') || wants('writes')) {
		const postgres = await startSingle('one instance, PostgreSQL', 'postgres');
		try {
			const admin = await adminOf(postgres);
			if (wants('published')) {
				log('\n## Published profile: ours, PostgreSQL');
				const seed = await seedChatRooms(admin, PUBLISHED_ROOMS);
				const counter = messageCounter(postgres);
				try {
					const oursMemory = memoryProbe(postgres.pids[0]!, receivers + 1);
					result.ours = await repeated(
						communityTarget('ours, PostgreSQL', postgres, seed, counter.count),
						roomsOf(seed),
						seed.sender,
						published,
						oursMemory,
					);
					result.ours.memory = memory.at(-1);
				} finally {
					await counter.close();
				}
			}
			if (wants('writes')) {
				log('\n## Write-bound profile: ours, PostgreSQL, one sender per room');
				const seed = await seedChatRooms(admin, WRITE_ROOMS);
				const counter = messageCounter(postgres);
				try {
					result.writes = await repeated(
						communityTarget('ours, write-bound', postgres, seed, counter.count),
						roomsOf(seed),
						seed.sender,
						writes,
					);
				} finally {
					await counter.close();
				}
				result.insertLoop = await insertLoop(postgres, seed.rooms[0]!.group, seed.sender, 8);
				log(`  bare insert loop: ${result.insertLoop.rowsPerS} rows/s, p99 ${result.insertLoop.latency.p99} ms`);
			}
		} finally {
			await postgres.stop();
		}
	}

	if (wants('pair')) {
		const atPairRate = { ...writes, rates: [PAIR_RATE], refine: false };
		const sweepOn = async (deployment: Deployment, name: string, spread: boolean) => {
			const seed = await seedChatRooms(await adminOf(deployment), WRITE_ROOMS);
			const target = { ...communityTarget(name, deployment, seed), ...(spread ? { senderUrls: deployment.urls } : {}) };
			return sweepChat(target, roomsOf(seed), seed.sender, atPairRate, log);
		};
		const measured = async (deployment: Deployment, name: string, spread: boolean) => {
			try {
				return await sweepOn(deployment, name, spread);
			} finally {
				await deployment.stop();
			}
		};
		log(`\n## One instance without Redis at ${PAIR_RATE} msg/s (the reference)`);
		result.single = await measured(await startSingle('one instance', 'postgres'), 'one instance', false);
		result.pair = {};
		result.singleWithRedis = {};
		for (const adapter of ['pubsub', 'sharded', 'streams'] as const) {
			const env = { REDIS: redisUrl, COMMUNITY_REDIS_ADAPTER: adapter, COMMUNITY_REDIS_PREFIX: `bench-${Date.now()}:` };
			log(`\n## One instance + Redis (${adapter}) at ${PAIR_RATE} msg/s`);
			result.singleWithRedis[adapter] = await measured(
				await startSingle(`one instance (${adapter})`, 'postgres', env),
				`one instance, ${adapter}`,
				false,
			);
			log(`\n## Two instances + Redis (${adapter}) at ${PAIR_RATE} msg/s, senders and receivers on both`);
			result.pair[adapter] = await measured(
				await startPair(`two instances (${adapter})`, redisUrl, { COMMUNITY_REDIS_ADAPTER: adapter }),
				`two instances, ${adapter}`,
				true,
			);
		}
	}

	const report = reportOf(result);
	log(`\n${report}`);
	const out = path.resolve('bench-results', `wire-${result.date.replace(/[:.]/g, '-')}.json`);
	mkdirSync(path.dirname(out), { recursive: true });
	writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
	writeFileSync(out.replace(/\.json$/, '.md'), `${report}\n`);
	log(`\nresult: ${out}`);
}

function reportOf(result: Record<string, any>): string {
	const lines: string[] = [
		`Command: \`${result.command}\`, ${result.machine.cpus} cores (${result.machine.cpuModel}), ${result.date}.`,
		'',
	];
	const rateRows = (sweep: Sweep) =>
		sweep.results.map(
			(r) =>
				`| ${sweep.target} | ${r.rate} | ${r.latency.p50} | ${r.latency.p99} | ${r.ack.p99} | ${r.received} / ${r.expectedDeliveries} | ${r.errors} | ${r.persistedPerS ?? '–'} | ${r.serverCpuPercent} | ${r.serverCpuMsPerMessage} | ${r.databaseCpuMsPerMessage ?? '–'} | ${r.generatorCpuPercent} |`,
		);
	const sweeps = [result.relay, result.ours, result.writes].filter(Boolean).flatMap((part) => part.sweeps as Sweep[]);
	if (sweeps.length) {
		lines.push(
			'| target | msg/s | p50 ms | p99 ms | ack p99 ms | delivered / expected | errors | stored/s | server CPU % | server CPU ms/msg | database CPU ms/msg | generator CPU % |',
		);
		lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
		for (const sweep of sweeps) lines.push(...rateRows(sweep));
		lines.push('');
	}
	if (result.relay && result.ours) {
		const ratio = result.relay.medianRate ? Math.round((result.ours.medianRate / result.relay.medianRate) * 100) / 100 : 0;
		const connect = result.relay.medianConnectMs ? Math.round((result.ours.medianConnectMs / result.relay.medianConnectMs) * 100) / 100 : 0;
		lines.push('| published profile | relay | ours (PostgreSQL) | ours / relay |', '| --- | --- | --- | --- |');
		lines.push(
			`| highest sustained msg/s (median of ${result.runs}) | ${result.relay.medianRate} | ${result.ours.medianRate} | ${ratio} |`,
		);
		lines.push(`| connect + join all receivers, ms | ${result.relay.medianConnectMs} | ${result.ours.medianConnectMs} | ${connect} |`);
		const kb = (m?: { perSocketKb: number }) => m?.perSocketKb ?? '–';
		lines.push(`| RSS per idle joined socket, KB | ${kb(result.relay.memory)} | ${kb(result.ours.memory)} | |`);
		if (result.ours.memory?.perSocketKb > 0)
			lines.push(`| sockets per GB of RSS | | ${Math.round((1024 * 1024) / result.ours.memory.perSocketKb)} | |`);
		lines.push('');
	}
	if (result.connect) {
		const of = (name: string) => (result.connect as Array<Record<string, any>>).filter((m) => m.target === name);
		const relay = of('bare Socket.IO relay');
		const ours = of('ours, PostgreSQL');
		const mid = (rows: Array<Record<string, any>>, key: string) => median(rows.map((r) => r[key] as number));
		lines.push(
			`| connect + join ${receiversOf(PUBLISHED_ROOMS)} receivers (median of ${relay.length}) | relay | ours (PostgreSQL) | ours / relay |`,
			'| --- | --- | --- | --- |',
			`| wall time, ms (each run) | ${mid(relay, 'connectMs')} (${relay.map((r) => r.connectMs).join(', ')}) | ${mid(ours, 'connectMs')} (${ours.map((r) => r.connectMs).join(', ')}) | ${Math.round((mid(ours, 'connectMs') / mid(relay, 'connectMs')) * 100) / 100} |`,
			`| server CPU ms per socket | ${mid(relay, 'serverCpuMsPerSocket')} | ${mid(ours, 'serverCpuMsPerSocket')} | |`,
			`| PostgreSQL CPU ms per socket | ${mid(relay, 'databaseCpuMsPerSocket')} | ${mid(ours, 'databaseCpuMsPerSocket')} | |`,
			'',
		);
	}
	if (result.writes) {
		lines.push(
			`Write-bound: highest sustained ${result.writes.medianRate} persisted msg/s; bare insert loop ${result.insertLoop?.rowsPerS} rows/s (one connection).`,
			'',
		);
	}
	if (result.pair) {
		lines.push(
			'| deployment (writes profile) | msg/s | p50 ms | p99 ms | cross-instance p50 / p99 ms | delivered / expected | server CPU ms/msg | × one instance (same Redis) | × one instance (no Redis) |',
		);
		lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
		const bare = result.single?.results?.[0];
		const ratio = (r: any, reference: any) =>
			reference ? Math.round((r.serverCpuMsPerMessage / reference.serverCpuMsPerMessage) * 100) / 100 : '–';
		const row = (name: string, r: any, sameRedis?: any) =>
			`| ${name} | ${r.rate} | ${r.latency.p50} | ${r.latency.p99} | ${r.crossInstance.count ? `${r.crossInstance.p50} / ${r.crossInstance.p99}` : '–'} | ${r.received} / ${r.expectedDeliveries} | ${r.serverCpuMsPerMessage} | ${sameRedis ? ratio(r, sameRedis) : '–'} | ${ratio(r, bare)} |`;
		if (bare) lines.push(row('one instance, no Redis', bare));
		for (const [adapter, sweep] of Object.entries(result.pair as Record<string, Sweep>)) {
			const single = (result.singleWithRedis?.[adapter] as Sweep | undefined)?.results[0];
			if (single) lines.push(row(`one instance, ${adapter}`, single));
			if (sweep.results[0]) lines.push(row(`two instances, ${adapter}`, sweep.results[0], single));
		}
	}
	return lines.join('\n');
}

main().then(
	() => process.exit(0),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
