import { describe, expect, it } from 'vitest';
import { MessageSend } from '../realtime/events.js';
import { ClientId } from './schemas.js';

describe('client ids', () => {
	it('are one line of text without control characters, on REST and on the socket', () => {
		expect(ClientId.parse('  phone-1:42 ')).toBe('phone-1:42');
		for (const bad of ['x\u0000', 'a\nb', '\u0007bell', 'del\u007f', '', 'x'.repeat(65)]) {
			expect(ClientId.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
			expect(MessageSend.safeParse({ group: 1, body: 'hi', client_id: bad }).success, JSON.stringify(bad)).toBe(false);
		}
	});
});
