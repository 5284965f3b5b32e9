import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { catchUnawaited, guardAdapter } from './redis.js';

const recorder = () => {
	const warnings: string[] = [];
	return { warnings, logger: { warn: (_error: unknown, message?: string) => void warnings.push(message ?? '') } };
};

/** Just enough of a node-redis v4 client for the adapter: it captures the subscriptions' listeners. */
function fakeClient(publish: () => Promise<unknown>) {
	const listeners = new Map<string, (message: Buffer, channel: string) => void>();
	const client = {
		isReady: true,
		publish,
		sSubscribe: () => Promise.resolve(),
		pSubscribe: (channel: string, listener: (message: Buffer, channel: string) => void) => (
			listeners.set(channel, listener),
			Promise.resolve()
		),
		subscribe: (channels: string[], listener: (message: Buffer, channel: string) => void) => {
			for (const channel of channels) listeners.set(channel, listener);
			return Promise.resolve();
		},
		sendCommand: () => Promise.resolve(['', '2']),
		on: () => client,
		off: () => client,
	};
	return { client, listeners };
}

describe('catchUnawaited', () => {
	it('turns a rejection nobody awaits into a warning while the client is up, and into nothing during an outage', async () => {
		const { warnings, logger } = recorder();
		const client = { isReady: true, publish: () => Promise.reject(new Error('Socket closed unexpectedly')) };
		catchUnawaited(client, ['publish'], 'pub', logger);
		await client.publish();
		client.isReady = false;
		await client.publish();
		expect(warnings).toEqual(['community socket: redis (pub) publish']);
	});
});

describe('guardAdapter', () => {
	it('logs a request of another instance that fails to be answered, instead of leaving the rejection unhandled', async () => {
		const { warnings, logger } = recorder();
		const failing = () => {
			throw new Error('cannot publish');
		};
		const pub = fakeClient(failing);
		const sub = fakeClient(() => Promise.resolve());
		const io = new Server();
		io.adapter(function (nsp: unknown) {
			return guardAdapter(createAdapter(pub.client, sub.client, { key: 'test' })(nsp), logger);
		});
		const onRequest = sub.listeners.get('test-request#/#')!;
		const unhandled: unknown[] = [];
		const track = (reason: unknown) => void unhandled.push(reason);
		process.on('unhandledRejection', track);
		try {
			onRequest(
				Buffer.from(JSON.stringify({ type: 5, requestId: 'r1', uid: 'other', opts: { rooms: [], except: [] } })),
				'test-request#/#',
			);
			const malformed = Buffer.from([0xc1]);
			sub.listeners.get('test#/#*')!(malformed, 'test#/#');
			await new Promise((resolve) => setTimeout(resolve, 10));
		} finally {
			process.off('unhandledRejection', track);
		}
		expect(unhandled).toEqual([]);
		expect(warnings.sort()).toEqual([
			'community socket: broadcast from another instance',
			'community socket: request from another instance',
		]);
	});
});
