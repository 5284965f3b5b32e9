import { describe, expect, it } from 'vitest';
import { policyAppliesFrom } from './auth.js';

describe('policyAppliesFrom', () => {
	it("applies a policy without networks everywhere, and one with networks only from them (Directus's IP access)", () => {
		expect(policyAppliesFrom(null, '203.0.113.7')).toBe(true);
		expect(policyAppliesFrom('', '203.0.113.7')).toBe(true);
		expect(policyAppliesFrom('10.0.0.0/8,192.168.1.1', '10.20.30.40')).toBe(true);
		expect(policyAppliesFrom('10.0.0.0/8,192.168.1.1', '192.168.1.1')).toBe(true);
		expect(policyAppliesFrom('10.0.0.0/8,192.168.1.1', '203.0.113.7')).toBe(false);
		expect(policyAppliesFrom(['10.0.0.0/8'], null)).toBe(false);
		expect(policyAppliesFrom('not-a-network', '10.0.0.1')).toBe(false);
	});
});
