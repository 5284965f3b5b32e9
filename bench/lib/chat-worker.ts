import type { Histogram } from 'hdr-histogram-js';
import { connectClient, inBatches, type ChatClient, type Protocol } from './clients.js';
import { encodeHistogram, latencyHistogram, nowMs } from './histogram.js';

/**
 * A load-generator process: holds a share of the receiving clients, records the latency of every message
 * they get (the sender's timestamp travels in the body), and reports counts and a histogram on request.
 * Several of these keep one process's event loop from being the bottleneck.
 */
export interface WorkerClient {
	url: string;
	token: string;
	group: number;
	/** Where the room's sender is connected: a delivery from another instance is also recorded as cross-instance. */
	senderUrl: string;
}

export type WorkerCommand =
	| { type: 'connect'; protocol: Protocol; clients: WorkerClient[]; concurrency: number }
	| { type: 'reset' }
	| { type: 'report' }
	| { type: 'close' };

export type WorkerReply =
	| { type: 'ready'; connectMs: number; errors: string[] }
	| { type: 'reset' }
	| { type: 'report'; received: number; unexpected: number; histogram: string; crossHistogram: string; cpuMs: number };

let clients: ChatClient[] = [];
let histogram: Histogram = latencyHistogram();
let crossHistogram: Histogram = latencyHistogram();
let received = 0;
let unexpected = 0;

const reply = (message: WorkerReply) => process.send!(message);

/** The body the sender writes: `bench|<sent at, ms>|<n>`. */
export const benchBody = (sentAt: number, n: number) => `bench|${sentAt.toFixed(3)}|${n}`;
const sentAtOf = (body: string) => Number(body.split('|')[1]);

process.on('message', async (command: WorkerCommand) => {
	if (command.type === 'connect') {
		const started = performance.now();
		const errors: string[] = [];
		clients = (
			await inBatches(command.clients, command.concurrency, async ({ url, token, group, senderUrl }) => {
				try {
					const client = await connectClient(command.protocol, url, token);
					client.onMessage((messageGroup, body) => {
						if (messageGroup !== group) {
							unexpected++;
							return;
						}
						received++;
						const latencyUs = Math.max(1, Math.round((nowMs() - sentAtOf(body)) * 1000));
						histogram.recordValue(latencyUs);
						if (senderUrl !== url) crossHistogram.recordValue(latencyUs);
					});
					await client.join(group);
					return client;
				} catch (error) {
					errors.push(String(error instanceof Error ? error.message : error));
					return null;
				}
			})
		).filter((client): client is ChatClient => client !== null);
		reply({ type: 'ready', connectMs: performance.now() - started, errors: errors.slice(0, 5) });
	} else if (command.type === 'reset') {
		histogram = latencyHistogram();
		crossHistogram = latencyHistogram();
		received = 0;
		unexpected = 0;
		reply({ type: 'reset' });
	} else if (command.type === 'report') {
		const cpu = process.cpuUsage();
		reply({
			type: 'report',
			received,
			unexpected,
			histogram: encodeHistogram(histogram),
			crossHistogram: encodeHistogram(crossHistogram),
			cpuMs: (cpu.user + cpu.system) / 1000,
		});
	} else if (command.type === 'close') {
		for (const client of clients) client.close();
		setTimeout(() => process.exit(0), 200);
	}
});
