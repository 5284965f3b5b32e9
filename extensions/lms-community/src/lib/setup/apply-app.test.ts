import { describe, expect, it } from 'vitest';
import { moduleBarWithCommunity } from './apply-app.js';

describe('moduleBarWithCommunity', () => {
	it("adds the module after Content to Directus's default bar", () => {
		const bar = moduleBarWithCommunity(null)!;
		expect(bar.map((entry) => entry.id).slice(0, 3)).toEqual(['content', 'community-moderation', 'visual']);
		expect(bar[1]).toEqual({ type: 'module', id: 'community-moderation', enabled: true });
	});

	it("keeps an admin's own bar, and their choice once the module is on it", () => {
		const custom = [
			{ type: 'module' as const, id: 'users', enabled: true },
			{ type: 'module' as const, id: 'content', enabled: true },
		];
		expect(moduleBarWithCommunity(custom)!.map((entry) => entry.id)).toEqual(['users', 'content', 'community-moderation']);
		expect(moduleBarWithCommunity([...custom, { type: 'module', id: 'community-moderation', enabled: false }])).toBeNull();
	});
});
