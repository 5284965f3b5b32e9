import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { probeLabel, type HttpProbe, type Probe, type WsProbe } from './catalogue.js';
import { ROOT } from './directus-instance.js';
import { SOCKET_PATH } from './socket.js';
import { http, PEOPLE, type CallerKey, type World } from './worlds.js';

/** What a caller got for one probe in one world. */
export interface Answer {
	status: number | string;
	body: string;
}

export interface Outcome {
	label: string;
	kind: string;
	transport: string;
	w1: Answer;
	w2: Answer;
}

// ---------------------------------------------------------------------------------------------------------
// Normalisation: the one place that says what may legitimately differ between the worlds.

const ISO_TIMESTAMP = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:?\d{2})?/g;
const EPOCH_MS = /\b1\d{12}\b/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** Epoch milliseconds from a day before this run to a day after it. */
const RUN_WINDOW = [Date.now() - 86_400_000, Date.now() + 86_400_000] as const;

export interface NormaliseOptions {
	/** The request sorted by a hash field (argon2 with a random salt per world): compare its rows as a set. */
	unordered?: boolean;
}

/**
 * Everything both worlds legitimately differ in, and nothing else:
 *  1. points in time, stamped by the server clock while each world was built: ISO 8601 in any answer
 *     format (row dates such as `date_created`, `joined_at`, `read_at`, `edited_at`, `last_access`), and epoch
 *     milliseconds of this run (SQLite hands raw values to the bundle's socket payloads);
 *  2. the UUIDs Directus generates at bootstrap and the world script cannot fix (the Administrator role,
 *     the admin and public policies and their access rows), replaced by labels of what they are;
 *  3. the order of rows sorted by a password hash: argon2 salts are random, so that order is random in each
 *     world (`unordered`); the rows themselves must still be the same.
 * Ids of rows, counts, order otherwise and every other byte must be equal.
 */
export function normalise(text: string, world: World, options: NormaliseOptions = {}): string {
	let out = text
		.replace(UUID, (uuid) => world.aliases.get(uuid.toLowerCase()) ?? uuid)
		.replace(ISO_TIMESTAMP, '<time>')
		.replace(EPOCH_MS, (ms) => (Number(ms) >= RUN_WINDOW[0] && Number(ms) <= RUN_WINDOW[1] ? '<time>' : ms));
	if (options.unordered) out = sortRows(out);
	return out;
}

/** Sorts every array of rows in a JSON answer (REST `data`, GraphQL `data.<collection>`) by content. */
function sortRows(text: string): string {
	try {
		const sortArrays = (value: unknown): unknown => {
			if (Array.isArray(value)) return value.map(sortArrays).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
			if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sortArrays(v)]));
			return value;
		};
		return JSON.stringify(sortArrays(JSON.parse(text)));
	} catch {
		return text.split('\n').sort().join('\n');
	}
}

// ---------------------------------------------------------------------------------------------------------
// Running probes

export async function mapLimit<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(items.length);
	let next = 0;
	const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
		while (next < items.length) {
			const index = next++;
			results[index] = await work(items[index]!, index);
		}
	});
	await Promise.all(lanes);
	return results;
}

export function tokenOf(world: World, caller: CallerKey): string | null {
	return caller === 'public' ? null : world.tokens[caller];
}

async function httpAnswer(world: World, caller: CallerKey, probe: HttpProbe): Promise<Answer> {
	try {
		const answer = await http(world.url, probe.method, probe.path, { token: tokenOf(world, caller), body: probe.body });
		return { status: answer.status, body: normalise(answer.text, world, { unordered: probe.unordered }) };
	} catch (error) {
		return { status: 'network-error', body: String(error) };
	}
}

/** Runs HTTP probes in both worlds at once, `concurrency` at a time in each. */
export async function runHttpProbes(worlds: [World, World], caller: CallerKey, probes: HttpProbe[], concurrency = 8): Promise<Outcome[]> {
	const [w1, w2] = await Promise.all(worlds.map((world) => mapLimit(probes, concurrency, (probe) => httpAnswer(world, caller, probe))));
	return probes.map((probe, i) => ({ label: probeLabel(probe), kind: probe.kind, transport: probe.transport, w1: w1![i]!, w2: w2![i]! }));
}

/**
 * /utils/export writes a file as the caller, in the background, and tells them through a Directus
 * notification. One export at a time per world: answer, then (as the admin) the notification's subject
 * and, when the export succeeded, the file's content: what the caller would download.
 */
export async function runExportProbes(worlds: [World, World], caller: CallerKey, probes: HttpProbe[]): Promise<Outcome[]> {
	const userId = caller === 'public' ? null : PEOPLE[caller].id;
	const one = async (world: World, probe: HttpProbe): Promise<Answer> => {
		const count = async () => {
			const answer = await http(world.url, 'GET', `/notifications?filter[recipient][_eq]=${userId}&aggregate[count]=*`, {
				token: world.adminToken,
			});
			return Number(JSON.parse(answer.text).data[0].count);
		};
		const before = userId ? await count() : 0;
		const answer = await http(world.url, probe.method, probe.path, { token: tokenOf(world, caller), body: probe.body });
		const result: Record<string, unknown> = { response: normalise(answer.text, world) };
		if (userId && answer.status < 300) {
			const deadline = Date.now() + 15_000;
			while ((await count()) <= before) {
				if (Date.now() > deadline) throw new Error(`export ${probe.path} for ${caller}: no notification within 15 s`);
				await new Promise((resolve) => setTimeout(resolve, 25));
			}
			const newest = JSON.parse(
				(
					await http(world.url, 'GET', `/notifications?filter[recipient][_eq]=${userId}&sort=-id&limit=1&fields=subject,collection,item`, {
						token: world.adminToken,
					})
				).text,
			).data[0];
			result['notification'] = newest.subject;
			if (newest.item)
				result['file'] = normalise((await http(world.url, 'GET', `/assets/${newest.item}`, { token: world.adminToken })).text, world);
		}
		return { status: answer.status, body: JSON.stringify(result) };
	};
	const [w1, w2] = await Promise.all(
		worlds.map(async (world) => {
			const answers: Answer[] = [];
			for (const probe of probes) answers.push(await one(world, probe));
			return answers;
		}),
	);
	return probes.map((probe, i) => ({ label: probeLabel(probe), kind: probe.kind, transport: probe.transport, w1: w1![i]!, w2: w2![i]! }));
}

// ---------------------------------------------------------------------------------------------------------
// Directus's /websocket

export class DirectusSocket {
	readonly received: any[] = [];
	private readonly waiters: Array<{ test: (message: any) => boolean; resolve: (message: any) => void }> = [];
	/** Requests waiting for their answer, oldest first. */
	private readonly pending: Array<{ uid: string; resolve: (message: any) => void }> = [];
	closed: { code: number; reason: string } | null = null;
	private uid = 0;

	private constructor(private readonly ws: WebSocket) {
		ws.addEventListener('message', (event) => {
			const message = JSON.parse(String(event.data));
			this.received.push(message);
			// An answer names its request by uid; an error answered before the message was parsed carries none
			// and belongs to the oldest request still waiting (requests that may be refused so go one at a time).
			const index =
				message.uid !== undefined
					? this.pending.findIndex((p) => p.uid === message.uid)
					: message.status === 'error' && message.type !== 'auth'
						? 0
						: -1;
			const request = index >= 0 ? this.pending.splice(index, 1)[0] : undefined;
			request?.resolve(message);
			for (const waiter of [...this.waiters]) {
				if (waiter.test(message)) {
					this.waiters.splice(this.waiters.indexOf(waiter), 1);
					waiter.resolve(message);
				}
			}
		});
		ws.addEventListener('close', (event) => {
			this.closed = { code: event.code, reason: event.reason };
			for (const waiter of this.waiters.splice(0)) waiter.resolve({ closed: this.closed });
			for (const request of this.pending.splice(0)) request.resolve({ closed: this.closed });
		});
	}

	/** Opens the socket and authenticates (`{ type: 'auth' }`, without a token for the public). */
	static async open(url: string, token: string | null): Promise<DirectusSocket> {
		const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/websocket`);
		await new Promise<void>((resolve, reject) => {
			ws.addEventListener('open', () => resolve(), { once: true });
			ws.addEventListener('error', () => reject(new Error('websocket error')), { once: true });
		});
		const socket = new DirectusSocket(ws);
		const reply = socket.next((m) => m.type === 'auth', 15_000, 'the auth answer');
		ws.send(JSON.stringify(token ? { type: 'auth', access_token: token } : { type: 'auth' }));
		await reply;
		return socket;
	}

	next(test: (message: any) => boolean, timeoutMs = 15_000, what = 'an answer'): Promise<any> {
		if (this.closed) return Promise.resolve({ closed: this.closed });
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`/websocket: ${what} not received within ${timeoutMs} ms`)), timeoutMs);
			this.waiters.push({
				test,
				resolve: (message) => {
					clearTimeout(timer);
					resolve(message);
				},
			});
		});
	}

	/** Sends a message with a uid and waits for its answer (or the socket's end). */
	request(message: Record<string, unknown>, uid = `r${++this.uid}`): Promise<any> {
		if (this.closed) return Promise.resolve({ closed: this.closed });
		return new Promise((resolve, reject) => {
			const timer = setTimeout(
				() => reject(new Error(`/websocket: no answer to ${JSON.stringify(message).slice(0, 200)} within 15000 ms`)),
				15_000,
			);
			this.pending.push({
				uid,
				resolve: (answer) => {
					clearTimeout(timer);
					resolve(answer);
				},
			});
			this.ws.send(JSON.stringify({ ...message, uid }));
		});
	}

	/** Stops waiting for the answer to `uid` (it may never come) and settles it with `answer`. */
	giveUp(uid: string, answer: unknown): void {
		const index = this.pending.findIndex((p) => p.uid === uid);
		if (index >= 0) this.pending.splice(index, 1)[0]!.resolve(answer);
	}

	/** A message already received that matches, or the next one. */
	async seen(test: (message: any) => boolean, what: string, timeoutMs?: number): Promise<any> {
		return this.received.find(test) ?? this.next(test, timeoutMs, what);
	}

	close(): void {
		this.ws.close();
	}
}

/**
 * Directus answers nothing at all when a /websocket handler meets an error that is not one of its own (a
 * database error, say): it logs it and the client waits forever. So every probe is followed by a fence, a
 * plain read of the same collection; once the fence is answered, the probe gets a grace period and is then
 * recorded as `no-answer` (and counted with the 500s).
 */
const NO_ANSWER_GRACE_MS = 1_000;

async function wsAnswers(world: World, caller: CallerKey, probes: WsProbe[]): Promise<Answer[]> {
	const socket = await DirectusSocket.open(world.url, tokenOf(world, caller));
	const answers: Answer[] = [];
	try {
		for (const [i, probe] of probes.entries()) {
			const uid = `p${i}`;
			const reply = socket.request(probe.message, uid);
			const fence = { type: 'items', action: 'read', collection: String(probe.message['collection']), query: { fields: ['id'], limit: 1 } };
			await socket.request(fence, `f${i}`);
			const timer = setTimeout(() => socket.giveUp(uid, { noAnswer: true }), NO_ANSWER_GRACE_MS);
			const answer = await reply;
			clearTimeout(timer);
			if (probe.transport === 'ws-subscribe' && answer.type === 'subscription') await socket.request({ type: 'unsubscribe' }, uid);
			const { uid: _uid, ...rest } = answer;
			const status = answer.noAnswer ? 'no-answer' : answer.closed ? 'closed' : (answer.status ?? answer.type);
			answers.push({ status, body: normalise(JSON.stringify(rest), world, { unordered: probe.unordered }) });
		}
		return answers;
	} finally {
		socket.close();
	}
}

export async function runWsProbes(worlds: [World, World], caller: CallerKey, probes: WsProbe[]): Promise<Outcome[]> {
	const [w1, w2] = await Promise.all(worlds.map((world) => wsAnswers(world, caller, probes)));
	return probes.map((probe, i) => ({ label: probeLabel(probe), kind: probe.kind, transport: probe.transport, w1: w1![i]!, w2: w2![i]! }));
}

// ---------------------------------------------------------------------------------------------------------
// The bundle's Socket.IO

export interface SocketIoRecording {
	socket: Socket | null;
	log: Array<Record<string, unknown>>;
}

/** Connects (recording the refusal when there is one) and records every event, in order. */
export async function openSocketIo(url: string, token: string | null): Promise<SocketIoRecording> {
	const log: Array<Record<string, unknown>> = [];
	const socket = io(url, {
		path: SOCKET_PATH,
		transports: ['websocket'],
		auth: token ? { token } : {},
		reconnection: false,
		forceNew: true,
	});
	socket.onAny((event: string, ...args: unknown[]) => log.push({ event, args }));
	const connected = await new Promise<boolean>((resolve) => {
		socket.once('connect', () => resolve(true));
		socket.once('connect_error', (error: Error & { data?: unknown }) => {
			log.push({ event: 'connect_error', message: error.message, data: error.data ?? null });
			resolve(false);
		});
	});
	if (!connected) {
		socket.close();
		return { socket: null, log };
	}
	log.push({ event: 'connect' });
	return { socket, log };
}

/** Emits with an ack and records the answer in the log (in order with the events). */
export async function emitRecorded(recording: SocketIoRecording, event: string, payload: unknown): Promise<any> {
	if (!recording.socket) return null;
	const answer = await recording.socket.timeout(10_000).emitWithAck(event, payload);
	recording.log.push({ ack: event, payload, answer });
	return answer;
}

/**
 * Reads over the bundle's socket, on a fresh connection per world: each ack is one outcome. Group B is
 * asked for as well as the caller's own group, and ids that do not exist or are malformed.
 */
export async function runSocketIoReads(worlds: [World, World], caller: CallerKey): Promise<Outcome[]> {
	const calls = (world: World): Array<[string, unknown]> => [
		['group:join', { group: world.ids.groupA }],
		['presence:get', { group: world.ids.groupA }],
		['message:sync', { group: world.ids.groupA, after: 0 }],
		['message:sync', { group: world.ids.groupA, after: 0, limit: 2 }],
		['message:sync', { group: world.ids.groupB, after: 0 }],
		['message:sync', { group: world.ids.groupB, after: 3, limit: 200 }],
		['presence:get', { group: world.ids.groupB }],
		['group:join', { group: world.ids.groupB }],
		['typing:stop', { group: world.ids.groupB }],
		['message:sync', { group: 999999, after: 0 }],
		['message:sync', { group: 'abc' }],
		['message:sync', { group: 1e20 }],
		['receipt:read', { group: world.ids.groupB, message: 1e20 }],
	];
	const answers = await Promise.all(
		worlds.map(async (world) => {
			const recording = await openSocketIo(world.url, tokenOf(world, caller));
			const out: Answer[] = [];
			for (const [event, payload] of calls(world)) {
				const answer = recording.socket ? await emitRecorded(recording, event, payload) : { refused: recording.log };
				out.push({
					status: answer?.ok === true ? 'ok' : answer?.ok === false ? 'error' : 'refused',
					body: normalise(JSON.stringify(answer), world),
				});
			}
			recording.socket?.close();
			return out;
		}),
	);
	return calls(worlds[0]).map(([event, payload], i) => ({
		label: `socket.io ${event} ${JSON.stringify(payload)}`,
		kind: 'socket.io',
		transport: 'socket.io',
		w1: answers[0]![i]!,
		w2: answers[1]![i]!,
	}));
}

export function waitForLog(
	recording: SocketIoRecording,
	test: (entry: Record<string, unknown>) => boolean,
	what: string,
	timeoutMs = 15_000,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	return new Promise((resolve, reject) => {
		const check = () => {
			if (recording.log.some(test)) return resolve();
			if (Date.now() > deadline) return reject(new Error(`socket.io: ${what} not received within ${timeoutMs} ms`));
			setTimeout(check, 10);
		};
		check();
	});
}

// ---------------------------------------------------------------------------------------------------------
// Comparing and reporting

export interface Difference {
	outcome: Outcome;
	diff: string;
}

export function differences(outcomes: Outcome[]): Difference[] {
	return outcomes
		.filter((o) => o.w1.status !== o.w2.status || o.w1.body !== o.w2.body)
		.map((outcome) => ({ outcome, diff: shortDiff(outcome.w1.body, outcome.w2.body) }));
}

export function serverErrors(outcomes: Outcome[]): Outcome[] {
	// Also a GraphQL or /websocket error inside a 200, the socket's ack code for an unexpected failure, and a
	// /websocket request the server never answered (an unhandled exception).
	const failed = (a: Answer) => a.status === 500 || a.status === 'no-answer' || /INTERNAL_SERVER_ERROR|"code":"INTERNAL"/.test(a.body);
	return outcomes.filter((o) => failed(o.w1) || failed(o.w2));
}

const clip = (value: unknown, max = 90) => {
	const text = typeof value === 'string' ? value : JSON.stringify(value);
	return text === undefined ? 'undefined' : text.length > max ? `${text.slice(0, max)}…` : text;
};

/** The first few JSON paths whose values differ (or the first differing line for other formats). */
export function shortDiff(a: string, b: string, max = 3): string {
	let left: unknown;
	let right: unknown;
	try {
		left = JSON.parse(a);
		right = JSON.parse(b);
	} catch {
		const la = a.split('\n');
		const lb = b.split('\n');
		const i = la.findIndex((line, n) => line !== lb[n]);
		const at = i === -1 ? la.length : i;
		return `line ${at + 1}: ${clip(la[at] ?? '<end>')} ≠ ${clip(lb[at] ?? '<end>')}`;
	}
	const found: string[] = [];
	const walk = (x: unknown, y: unknown, at: string) => {
		if (found.length >= max) return;
		if (JSON.stringify(x) === JSON.stringify(y)) return;
		if (x && y && typeof x === 'object' && typeof y === 'object' && Array.isArray(x) === Array.isArray(y)) {
			if (Array.isArray(x) && Array.isArray(y) && x.length !== y.length) {
				found.push(
					`${at || '.'}: ${x.length} items ≠ ${y.length} items (first extra: ${clip(x.length > y.length ? x[y.length] : y[x.length])})`,
				);
				return;
			}
			const keys = [...new Set([...Object.keys(x as object), ...Object.keys(y as object)])];
			for (const key of keys) walk((x as any)[key], (y as any)[key], at ? `${at}.${key}` : key);
			return;
		}
		found.push(`${at || '.'}: ${clip(x)} ≠ ${clip(y)}`);
	};
	walk(left, right, '');
	return found.join('; ');
}

export function formatDifferences(caller: string, list: Difference[]): string {
	return list
		.map(
			({ outcome, diff }) =>
				`  [${caller}] ${outcome.transport} ${clip(outcome.label, 400)}\n      world 1: ${outcome.w1.status}  world 2: ${outcome.w2.status}  ${diff}`,
		)
		.join('\n');
}

export function formatServerErrors(caller: string, list: Outcome[]): string {
	return list
		.map((o) => {
			const head = `  [${caller}] ${o.transport} ${clip(o.label, 400)}`;
			if (o.w1.status === o.w2.status && o.w1.body === o.w2.body)
				return `${head}\n      both worlds: ${o.w1.status} ${clip(o.w1.body, 200)}`;
			return `${head}\n      world 1: ${o.w1.status} ${clip(o.w1.body, 200)}\n      world 2: ${o.w2.status} ${clip(o.w2.body, 200)}`;
		})
		.join('\n');
}

/** Keeps the full outcome of a run under .tmp/differential/ for reading after a failure. */
export function saveReport(name: string, content: unknown): string {
	const dir = path.join(ROOT, '.tmp', 'differential');
	mkdirSync(dir, { recursive: true });
	const file = path.join(dir, `${name}.json`);
	writeFileSync(file, JSON.stringify(content, null, 1));
	return file;
}

/**
 * A recording with its `presence` events taken out of the order and summed up at the end: per group, who was
 * announced online and offline. Presence is coalesced over a time window (docs/realtime.md), so how the
 * announcements fall into events, and where they fall among the acks, depends on timing, not on the data; who
 * is announced does not, so another group's members still show up here (with who was online at each join).
 */
export function withPresenceSummed(log: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
	const announced = new Map<number, { online: Set<string>; offline: Set<string> }>();
	const seenIn = (group: number) => {
		const seen = announced.get(group) ?? { online: new Set<string>(), offline: new Set<string>() };
		announced.set(group, seen);
		return seen;
	};
	const rest = log.filter((entry) => {
		// Who was online at the join counts too: an arrival falls into the join's list or into a later event,
		// depending on when its window closed.
		const joined =
			entry['ack'] === 'group:join' ? (entry['answer'] as { ok?: boolean; data?: { group: number; presence?: string[] } }) : null;
		if (joined?.ok && joined.data) joined.data.presence?.forEach((user) => seenIn(joined.data!.group).online.add(user));
		if (entry['event'] !== 'presence') return true;
		for (const change of entry['args'] as Array<{ group: number; online: string[]; offline: string[] }>) {
			change.online.forEach((user) => seenIn(change.group).online.add(user));
			change.offline.forEach((user) => seenIn(change.group).offline.add(user));
		}
		return false;
	});
	const summary = [...announced.entries()]
		.sort(([a], [b]) => a - b)
		.map(([group, seen]) => ({ group, online: [...seen.online].sort(), offline: [...seen.offline].sort() }));
	return summary.length > 0 ? [...rest, { presence: summary }] : rest;
}
