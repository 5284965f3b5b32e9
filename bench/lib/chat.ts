import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { connectClient, type ChatClient, type Protocol } from './clients.js';
import type { WorkerClient, WorkerCommand, WorkerReply } from './chat-worker.js';
import { benchBody } from './chat-worker.js';
import { latencyHistogram, mergeEncoded, nowMs, summarize, type LatencySummary } from './histogram.js';
import { cpuPercent, postgresCpuMs, sampleProcess } from './process-stats.js';

/** A chat target: where receivers connect (spread over `urls`), where the sender connects, which server pids to watch. */
export interface ChatTarget {
	name: string;
	protocol: Protocol;
	receiverUrls: string[];
	senderUrl: string;
	/** With one sender per room: the URLs they connect to, spread (senders on every instance). Default: senderUrl. */
	senderUrls?: string[];
	serverPids: number[];
	tokenFor(user: string): string;
	/** The sender's token (Directus realtime: the same student; relays: anything). */
	senderToken: string;
	/** Counts stored messages, when the target stores them. */
	storedMessages?: () => Promise<number>;
}

export interface RoomPlan {
	group: number;
	members: string[];
}

export interface RateResult {
	rate: number;
	durationS: number;
	sent: number;
	acked: number;
	errors: number;
	errorCodes: Record<string, number>;
	expectedDeliveries: number;
	received: number;
	lost: number;
	unexpected: number;
	persistedPerS: number | null;
	deliveriesPerS: number;
	latency: LatencySummary;
	/** Deliveries to receivers on another instance than the room's sender (count 0 with one instance). */
	crossInstance: LatencySummary;
	ack: LatencySummary;
	serverCpuPercent: number;
	/** Server CPU (all instances) per message sent, ms. */
	serverCpuMsPerMessage: number;
	serverRssMb: number;
	generatorCpuPercent: number;
	/** CPU of all PostgreSQL processes per message sent, ms (whatever else the database did meanwhile included). */
	databaseCpuMsPerMessage: number;
}

export interface ChatRunOptions {
	rates: number[];
	durationS: number;
	workers: number;
	/** Stop the sweep once p99 passes this (ms) or anything fails. */
	p99LimitMs: number;
	drainMs: number;
	/** Each room's first member sends to it (many senders) instead of one sender in every room. */
	senderPerRoom?: boolean;
	/** After the sweep fails, try ×1.25 steps between the last rate that held and the first that failed. */
	refine?: boolean;
}

const WORKER = path.join(import.meta.dirname, 'chat-worker.ts');

function request(worker: ChildProcess, command: WorkerCommand, expect: WorkerReply['type']): Promise<WorkerReply> {
	return new Promise((resolve) => {
		const listener = (message: WorkerReply) => {
			if (message.type !== expect) return;
			worker.off('message', listener);
			resolve(message);
		};
		worker.on('message', listener);
		worker.send(command);
	});
}

/** Connects every receiver (spread over worker processes) and one sender per sender URL. */
export async function connectChat(target: ChatTarget, rooms: RoomPlan[], sender: string, options: ChatRunOptions) {
	const assignments: WorkerClient[][] = Array.from({ length: options.workers }, () => []);
	const senderUrls = target.senderUrls ?? [target.senderUrl];
	const senderUrlOf = (roomIndex: number) => (options.senderPerRoom ? senderUrls[roomIndex % senderUrls.length]! : target.senderUrl);
	let n = 0;
	for (const [roomIndex, room] of rooms.entries())
		for (const member of room.members) {
			assignments[n % options.workers]!.push({
				url: target.receiverUrls[n % target.receiverUrls.length]!,
				token: target.tokenFor(member),
				group: room.group,
				senderUrl: senderUrlOf(roomIndex),
			});
			n++;
		}
	const workers = assignments.map(() =>
		fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
	);
	const ready = (await Promise.all(
		workers.map((worker, i) =>
			request(worker, { type: 'connect', protocol: target.protocol, clients: assignments[i]!, concurrency: 50 }, 'ready'),
		),
	)) as Array<Extract<WorkerReply, { type: 'ready' }>>;
	const connectErrors = ready.flatMap((r) => r.errors);
	if (connectErrors.length > 0) throw new Error(`${target.name}: receivers failed to connect: ${connectErrors.join('; ')}`);
	const senders: ChatClient[] = [];
	if (options.senderPerRoom) {
		for (const [index, room] of rooms.entries()) {
			const client = await connectClient(target.protocol, senderUrlOf(index), target.tokenFor(room.members[0]!));
			await client.join(room.group);
			senders.push(client);
		}
	} else {
		const client = await connectClient(target.protocol, target.senderUrl, target.senderToken);
		for (const room of rooms) await client.join(room.group);
		senders.push(client);
	}
	return {
		workers,
		/** The client that sends to the room at `index`. */
		senderFor: (index: number) => senders[options.senderPerRoom ? index : 0]!,
		connectMs: Math.max(...ready.map((r) => r.connectMs)),
		async close() {
			for (const client of senders) client.close();
			await Promise.all(workers.map((w) => new Promise((resolve) => (w.once('exit', resolve), w.send({ type: 'close' })))));
		},
	};
}

/** Connects and joins every receiver, then closes them: the connect time with the server's and PostgreSQL's CPU per socket. */
export async function measureConnect(target: ChatTarget, rooms: RoomPlan[], sender: string, options: ChatRunOptions) {
	const sockets = rooms.reduce((sum, room) => sum + room.members.length, 0);
	const serverBefore = target.serverPids.map(sampleProcess);
	const databaseBefore = postgresCpuMs();
	const connection = await connectChat(target, rooms, sender, options);
	const serverCpuMs = target.serverPids.reduce((sum, pid, i) => sum + sampleProcess(pid).cpuMs - serverBefore[i]!.cpuMs, 0);
	const databaseCpuMs = postgresCpuMs() - databaseBefore;
	await connection.close();
	const perSocket = (ms: number) => Math.round((ms / sockets) * 100) / 100;
	return {
		target: target.name,
		connectMs: Math.round(connection.connectMs),
		serverCpuMsPerSocket: perSocket(serverCpuMs),
		databaseCpuMsPerSocket: perSocket(databaseCpuMs),
	};
}

/** One paced run: R messages/s round-robin over the rooms for `durationS`, then a drain, then the counts. */
export async function runRate(
	target: ChatTarget,
	connection: Awaited<ReturnType<typeof connectChat>>,
	rooms: RoomPlan[],
	rate: number,
	options: ChatRunOptions,
	runId: string,
): Promise<RateResult> {
	await Promise.all(connection.workers.map((w) => request(w, { type: 'reset' }, 'reset')));
	const storedBefore = target.storedMessages ? await target.storedMessages() : null;
	const serverBefore = target.serverPids.map(sampleProcess);
	const databaseBefore = postgresCpuMs();
	const generatorBefore = { at: performance.now(), cpu: process.cpuUsage() };
	const workerCpuBefore = (await Promise.all(connection.workers.map((w) => request(w, { type: 'report' }, 'report')))) as Array<
		Extract<WorkerReply, { type: 'report' }>
	>;

	const ackHistogram = latencyHistogram();
	const errorCodes: Record<string, number> = {};
	const total = Math.max(1, Math.round(rate * options.durationS));
	const perRoom = new Map<number, number>();
	const started = performance.now();
	const inflight: Array<Promise<void>> = [];
	for (let i = 0; i < total; i++) {
		const due = started + (i * 1000) / rate;
		const wait = due - performance.now();
		if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
		const roomIndex = i % rooms.length;
		const room = rooms[roomIndex]!;
		perRoom.set(room.group, (perRoom.get(room.group) ?? 0) + 1);
		const sentAt = nowMs();
		inflight.push(
			connection
				.senderFor(roomIndex)
				.send(room.group, benchBody(sentAt, i), `${runId}-${rate}-${i}`)
				.then((result) => {
					ackHistogram.recordValue(Math.max(1, Math.round((nowMs() - sentAt) * 1000)));
					if (!result.ok) errorCodes[result.error ?? 'ERROR'] = (errorCodes[result.error ?? 'ERROR'] ?? 0) + 1;
				}),
		);
	}
	await Promise.all(inflight);
	const sendingMs = performance.now() - started;
	await new Promise((resolve) => setTimeout(resolve, options.drainMs));

	const reports = (await Promise.all(connection.workers.map((w) => request(w, { type: 'report' }, 'report')))) as Array<
		Extract<WorkerReply, { type: 'report' }>
	>;
	const serverAfter = target.serverPids.map(sampleProcess);
	const databaseAfter = postgresCpuMs();
	const generatorCpu = process.cpuUsage(generatorBefore.cpu);
	const generatorWallMs = performance.now() - generatorBefore.at;
	const workerCpuMs = reports.reduce((sum, r, i) => sum + r.cpuMs - workerCpuBefore[i]!.cpuMs, 0);
	const storedAfter = target.storedMessages ? await target.storedMessages() : null;

	const latency = latencyHistogram();
	const crossInstance = latencyHistogram();
	for (const report of reports) {
		mergeEncoded(latency, report.histogram);
		mergeEncoded(crossInstance, report.crossHistogram);
	}
	const received = reports.reduce((sum, r) => sum + r.received, 0);
	const expectedDeliveries = rooms.reduce((sum, room) => sum + (perRoom.get(room.group) ?? 0) * room.members.length, 0);
	const errors = Object.values(errorCodes).reduce((a, b) => a + b, 0);
	return {
		rate,
		durationS: Math.round(sendingMs) / 1000,
		sent: total,
		acked: total - errors,
		errors,
		errorCodes,
		expectedDeliveries,
		received,
		lost: Math.max(0, expectedDeliveries - received),
		unexpected: reports.reduce((sum, r) => sum + r.unexpected, 0),
		persistedPerS: storedBefore === null || storedAfter === null ? null : round((storedAfter - storedBefore) / (sendingMs / 1000)),
		deliveriesPerS: round(received / (sendingMs / 1000)),
		latency: summarize(latency),
		crossInstance: summarize(crossInstance),
		ack: summarize(ackHistogram),
		serverCpuPercent: round(serverBefore.reduce((sum, before, i) => sum + cpuPercent(before, serverAfter[i]!), 0)),
		serverCpuMsPerMessage:
			Math.round((serverBefore.reduce((sum, before, i) => sum + serverAfter[i]!.cpuMs - before.cpuMs, 0) / total) * 100) / 100,
		serverRssMb: round(serverAfter.reduce((sum, s) => sum + s.rssMb, 0)),
		generatorCpuPercent: round((((generatorCpu.user + generatorCpu.system) / 1000 + workerCpuMs) / generatorWallMs) * 100),
		databaseCpuMsPerMessage: Math.round(((databaseAfter - databaseBefore) / total) * 100) / 100,
	};
}

const round = (value: number) => Math.round(value * 10) / 10;

/** Sweeps the rates upward until p99 passes the limit or a message fails or goes missing. */
export async function sweepChat(
	target: ChatTarget,
	rooms: RoomPlan[],
	sender: string,
	options: ChatRunOptions,
	log: (line: string) => void,
	afterConnect?: () => Promise<void>,
) {
	const connection = await connectChat(target, rooms, sender, options);
	await afterConnect?.();
	const results: RateResult[] = [];
	const runId = Math.random().toString(36).slice(2, 8);
	const holds = (r: RateResult) => r.latency.p99 <= options.p99LimitMs && r.errors === 0 && r.lost === 0;
	const run = async (rate: number) => {
		const result = await runRate(target, connection, rooms, rate, options, runId);
		results.push(result);
		log(
			`  ${target.name} @ ${rate}/s: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ack p99 ${result.ack.p99} ms, ` +
				`${result.received}/${result.expectedDeliveries} delivered, ${result.errors} errors, server CPU ${result.serverCpuPercent}% ` +
				`(${result.serverCpuMsPerMessage} ms/msg), database ${result.databaseCpuMsPerMessage} ms/msg, generator CPU ${result.generatorCpuPercent}%`,
		);
		return holds(result);
	};
	try {
		let lastHeld = 0;
		let firstFailed = 0;
		for (const rate of options.rates) {
			if (!(await run(rate))) {
				firstFailed = rate;
				break;
			}
			lastHeld = rate;
		}
		if (options.refine && firstFailed > 0)
			for (let rate = Math.round(lastHeld * 1.25); rate < firstFailed && lastHeld > 0; rate = Math.round(rate * 1.25))
				if (!(await run(rate))) break;
	} finally {
		await connection.close();
	}
	const held = results.filter(holds).map((r) => r.rate);
	return {
		target: target.name,
		connectMs: Math.round(connection.connectMs),
		results,
		highestSustainedRate: held.length ? Math.max(...held) : 0,
	};
}
