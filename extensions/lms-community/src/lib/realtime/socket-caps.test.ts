import { describe, expect, it } from 'vitest';
import { clientAddress, SocketsByAddress, socketsOverCap } from './socket-caps.js';

describe('socket caps', () => {
	it('closes the oldest beyond the cap and keeps the newest', () => {
		const sockets = [
			{ id: 'b', issued: 2 },
			{ id: 'a', issued: 1 },
			{ id: 'c', issued: 3 },
		];
		expect(socketsOverCap(sockets, 3)).toEqual([]);
		expect(socketsOverCap(sockets, 2).map((s) => s.id)).toEqual(['a']);
		expect(socketsOverCap(sockets, 1).map((s) => s.id)).toEqual(['a', 'b']);
	});

	it('reads the address from X-Forwarded-For only behind a trusted proxy', () => {
		const handshake = { address: '10.0.0.2', headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' } };
		expect(clientAddress(handshake, true)).toBe('203.0.113.7');
		expect(clientAddress(handshake, false)).toBe('10.0.0.2');
		expect(clientAddress({ address: '10.0.0.2', headers: {} }, true)).toBe('10.0.0.2');
	});

	it('indexes sockets by address and forgets an address with its last socket', () => {
		const index = new SocketsByAddress<string>();
		index.add('10.0.0.1', 'a');
		index.add('10.0.0.1', 'b');
		index.add('10.0.0.2', 'c');
		expect(index.of('10.0.0.1')).toEqual(['a', 'b']);
		expect(index.count('10.0.0.1')).toBe(2);
		index.remove('10.0.0.1', 'a');
		index.remove('10.0.0.1', 'a');
		expect(index.of('10.0.0.1')).toEqual(['b']);
		index.remove('10.0.0.1', 'b');
		expect(index.of('10.0.0.1')).toEqual([]);
		expect(index.count('10.0.0.1')).toBe(0);
		expect(index.of('10.0.0.2')).toEqual(['c']);
	});
});
