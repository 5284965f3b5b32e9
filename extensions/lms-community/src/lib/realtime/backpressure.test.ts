import { describe, expect, it } from 'vitest';
import { overBufferCaps } from './backpressure.js';

const caps = { maxPackets: 3, maxBytes: 1_000 };
const socket = (packets: number, bytes?: number) => ({
	conn: { writeBuffer: Array.from({ length: packets }), transport: bytes === undefined ? {} : { socket: { bufferedAmount: bytes } } },
});

describe('overBufferCaps', () => {
	it('lets a socket that keeps up be, and flags one over either cap', () => {
		expect(overBufferCaps(socket(0, 0), caps)).toBe(false);
		expect(overBufferCaps(socket(3, 1_000), caps)).toBe(false);
		expect(overBufferCaps(socket(4), caps)).toBe(true);
		expect(overBufferCaps(socket(0, 1_001), caps)).toBe(true);
		// Long-polling: no WebSocket, only the write buffer counts.
		expect(overBufferCaps({ conn: {} }, caps)).toBe(false);
	});
});
