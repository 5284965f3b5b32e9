import { describe, expect, it } from 'vitest';
import { decideRevocations, type AccessFacts } from './access-watch.js';

const facts: AccessFacts = {
	activeUsers: new Set(['ann', 'bob', 'cid']),
	liveSessions: new Set(['s-ann']),
	readableGroups: new Set(['ann:1', 'cid:1']),
};

describe('decideRevocations', () => {
	it('ends sockets of inactive users and ended sessions, and leaves groups whose access ended', () => {
		expect(
			decideRevocations(
				[
					{ id: 'a1', userId: 'ann', session: 's-ann', groups: [1, 2] },
					{ id: 'b1', userId: 'bob', session: 's-bob-logged-out', groups: [1] },
					{ id: 'c1', userId: 'cid', session: null, groups: [1] },
					{ id: 'd1', userId: 'dan', session: null, groups: [] },
				],
				facts,
			),
		).toEqual([
			{ kind: 'group', socketId: 'a1', group: 2 },
			{ kind: 'socket', socketId: 'b1', code: 'SESSION_ENDED' },
			{ kind: 'socket', socketId: 'd1', code: 'USER_INACTIVE' },
		]);
	});
});
