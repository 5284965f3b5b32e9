import { describe, expect, it } from 'vitest';
import { writeKindOfRoute } from './route-limits.js';
import { DEFAULT_LIMITS, readLimitRules, WriteLimits } from './write-limits.js';

const logger = { warn: () => undefined };

describe('WriteLimits', () => {
	it('answers RATE_LIMITED with the wait once a budget is spent, per user and per kind', async () => {
		const limits = new WriteLimits({ ...DEFAULT_LIMITS, reaction: { points: 2, seconds: 30 } }, 'test:', logger);
		await limits.consume('reaction', 'ann');
		await limits.consume('reaction', 'ann');
		await expect(limits.consume('reaction', 'ann')).rejects.toMatchObject({ extensions: { retry_after: 30 }, code: 'RATE_LIMITED' });
		await limits.consume('reaction', 'bob');
		await limits.consume('post', 'ann');
	});

	it('while Redis is away it limits locally, and says so once per outage rather than once per write', async () => {
		const warnings: string[] = [];
		const limits = new WriteLimits({ ...DEFAULT_LIMITS, typing: { points: 2, seconds: 30 } }, 'test:', {
			warn: (_error, message) => void warnings.push(message ?? ''),
		});
		let down = true;
		const offline = () => (down ? Promise.reject(new Error('The client is offline')) : Promise.resolve([1, 30_000]));
		limits.useRedis({ eval: offline, multi: () => ({}) } as never);
		await limits.consume('typing', 'ann');
		await limits.consume('typing', 'ann');
		await expect(limits.consume('typing', 'ann')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
		down = false;
		await limits.consume('typing', 'bob');
		down = true;
		await limits.consume('typing', 'cid');
		expect(warnings).toEqual([
			'community: rate limit store unavailable, limiting locally',
			'community: rate limit store unavailable, limiting locally',
		]);
	});

	it('reads each budget from the env, keeping the older message names', () => {
		const rules = readLimitRules({ COMMUNITY_SEND_LIMIT: '5', COMMUNITY_SEND_LIMIT_SECONDS: '2', COMMUNITY_SYNC_LIMIT: '7' });
		expect(rules.message).toEqual({ points: 5, seconds: 2 });
		expect(rules.sync).toEqual({ points: 7, seconds: DEFAULT_LIMITS.sync.seconds });
		expect(rules.typing).toEqual(DEFAULT_LIMITS.typing);
	});
});

describe('writeKindOfRoute', () => {
	it('maps every /community write to its budget, and reads to none', () => {
		expect(writeKindOfRoute('POST', '/community/groups/4/join')).toBe('join');
		expect(writeKindOfRoute('POST', '/community/groups/4/read')).toBe('read');
		expect(writeKindOfRoute('POST', '/community/posts/9/reactions')).toBe('reaction');
		expect(writeKindOfRoute('DELETE', '/community/posts/9/reactions/%F0%9F%91%8D')).toBe('reaction');
		expect(writeKindOfRoute('POST', '/community/reports')).toBe('report');
		expect(writeKindOfRoute('GET', '/community/me/groups')).toBe(null);
	});

	it('limits marking unread, and the spellings Express routes to the same endpoints', () => {
		expect(writeKindOfRoute('POST', '/community/groups/4/unread')).toBe('read');
		expect(writeKindOfRoute('POST', '/Community/Groups/4/UNREAD/')).toBe('read');
		expect(writeKindOfRoute('POST', '/community/groups/4/join/')).toBe('join');
		expect(writeKindOfRoute('POST', '/COMMUNITY/reports')).toBe('report');
	});
});
