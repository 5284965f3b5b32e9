import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReadMarker } from '../../community/chat.js';
import { PresenceFeed } from '../presence-feed.js';
import { TypingTracker } from '../typing.js';
import type { CommunityIo, CommunitySocket } from '../types.js';
import { groupHandlers } from './groups.js';
import { receiptHandlers } from './receipts.js';
import { typingHandlers } from './typing.js';

/** What the handlers sent, room by room: a fake of the parts of Socket.IO they use. */
function fakeIo() {
	const sent: Array<{ room: string; event: string; payload: unknown; except?: string }> = [];
	const room = (name: string, except?: string) => ({
		emit: (event: string, payload: unknown) => void sent.push({ room: name, event, payload, ...(except ? { except } : {}) }),
	});
	const io = { to: (name: string) => room(name) } as unknown as CommunityIo;
	const socketOf = (user: string, groups: number[] = []) =>
		({
			data: { identity: { userId: user, accountability: { user, admin: false } }, groups: new Set(groups) },
			to: (name: string) => room(name, user),
			join: async () => undefined,
			leave: async () => undefined,
		}) as unknown as CommunitySocket;
	return { io, sent, socketOf };
}

const noLimits = { consume: async () => undefined };

describe('typing', () => {
	beforeEach(() => vi.useFakeTimers());
	afterEach(() => vi.useRealTimers());

	it('announces a start once, refreshes silently, ends by itself after the TTL', async () => {
		const { io, sent, socketOf } = fakeIo();
		const tracker = new TypingTracker(io, 800);
		const handlers = typingHandlers({ typing: tracker, limits: noLimits });
		const ann = socketOf('ann', [1]);
		expect(await handlers['typing:start'](ann, { group: 1 })).toEqual({ group: 1, typing: true, expires_in: 800 });
		await vi.advanceTimersByTimeAsync(500);
		await handlers['typing:start'](ann, { group: 1 });
		await vi.advanceTimersByTimeAsync(799);
		expect(sent).toEqual([
			{ room: 'group:1', event: 'typing', payload: { group: 1, user: 'ann', typing: true, expires_in: 800 }, except: 'ann' },
		]);
		await vi.advanceTimersByTimeAsync(1);
		expect(sent.at(-1)).toEqual({ room: 'group:1', event: 'typing', payload: { group: 1, user: 'ann', typing: false } });
	});

	it('refuses a group the socket has not joined', async () => {
		const { io, socketOf } = fakeIo();
		const handlers = typingHandlers({ typing: new TypingTracker(io, 800), limits: noLimits });
		await expect(handlers['typing:start'](socketOf('ann'), { group: 1 })).rejects.toMatchObject({ code: 'NOT_JOINED' });
	});
});

describe('presence announcements', () => {
	beforeEach(() => vi.useFakeTimers());
	afterEach(() => vi.useRealTimers());

	it('coalesce a window of changes into one event per group, the last change of each user winning', async () => {
		const { io, sent } = fakeIo();
		const feed = new PresenceFeed(io, 250);
		for (let user = 0; user < 1_000; user++) feed.changed(7, `u${user}`, true);
		feed.changed(7, 'u3', false);
		feed.changed(8, 'v', true);
		expect(sent).toEqual([]);
		await vi.advanceTimersByTimeAsync(250);
		expect(sent).toHaveLength(2);
		const [seven] = sent as Array<{ payload: { online: string[]; offline: string[] } }>;
		expect(seven!.payload.online).toHaveLength(999);
		expect(seven!.payload.offline).toEqual(['u3']);
	});
});

describe('group:join', () => {
	it('answers a capped online list with the full count, and the member’s marker', async () => {
		const { socketOf } = fakeIo();
		const marker: ReadMarker = { group: 3, last_read_message: null, last_read_seq: 0, unread_after_seq: 0, unread: 4 };
		const entered: number[] = [];
		const handlers = groupHandlers({
			join: async (group, user) => ({
				member: { id: 1, group, user, role: 'student', status: 'active', notify: 'all' },
				joined: true,
				readMarker: null,
			}),
			readMarker: async () => marker,
			limits: noLimits,
			presence: { online: async (_group, max) => ({ users: ['a', 'b', 'c'].slice(0, max), count: 3 }) },
			rooms: { enter: async (_socket, group) => void entered.push(group), leave: async () => undefined },
			presenceListMax: 2,
		});
		expect(await handlers['group:join'](socketOf('ann'), { group: 3 })).toEqual({
			group: 3,
			member: { role: 'student', status: 'active' },
			presence: ['a', 'b'],
			online_count: 3,
			marker,
		});
		expect(entered).toEqual([3]);
		await expect(handlers['group:join'](socketOf('ann'), { group: 'x' })).rejects.toThrow();
	});

	it('answers the marker that came with the join’s facts without reading it again', async () => {
		const { socketOf } = fakeIo();
		const marker: ReadMarker = { group: 3, last_read_message: 9, last_read_seq: 5, unread_after_seq: 5, unread: 1 };
		const handlers = groupHandlers({
			join: async (group, user) => ({
				member: { id: 1, group, user, role: 'student', status: 'active', notify: 'all' },
				joined: false,
				readMarker: marker,
			}),
			readMarker: async () => {
				throw new Error('read again');
			},
			limits: noLimits,
			presence: { online: async () => ({ users: [], count: 0 }) },
			rooms: { enter: async () => undefined, leave: async () => undefined },
			presenceListMax: 2,
		});
		expect((await handlers['group:join'](socketOf('ann'), { group: 3 })).marker).toEqual(marker);
	});
});

describe('receipt:read', () => {
	it('tells the room through the bus what the marker became', async () => {
		const { socketOf } = fakeIo();
		const told: Array<[ReadMarker, string]> = [];
		const mine: Array<[ReadMarker, string]> = [];
		const marker: ReadMarker = { group: 3, last_read_message: 9, last_read_seq: 5, unread_after_seq: 5, unread: 0 };
		const handlers = receiptHandlers({
			markRead: async () => marker,
			markUnread: async () => marker,
			limits: noLimits,
			bus: {
				receiptUpdated: (update, user) => void told.push([update, user]),
				markerUpdated: (update, user) => void mine.push([update, user]),
			},
		});
		expect(await handlers['receipt:read'](socketOf('ann'), { group: 3, message: 9 })).toBe(marker);
		expect(told).toEqual([[marker, 'ann']]);
		expect(mine).toEqual([[marker, 'ann']]);
	});
});

describe('marker:unread', () => {
	it('tells only the member’s own devices, never the room', async () => {
		const { socketOf } = fakeIo();
		const told: Array<[ReadMarker, string]> = [];
		const mine: Array<[ReadMarker, string]> = [];
		const marker: ReadMarker = { group: 3, last_read_message: 9, last_read_seq: 5, unread_after_seq: 2, unread: 3 };
		const handlers = receiptHandlers({
			markRead: async () => marker,
			markUnread: async (_caller, group, message) => ({ ...marker, group, last_read_message: message }),
			limits: noLimits,
			bus: {
				receiptUpdated: (update, user) => void told.push([update, user]),
				markerUpdated: (update, user) => void mine.push([update, user]),
			},
		});
		const answer = await handlers['marker:unread'](socketOf('ann'), { group: 3, message: 9 });
		expect(answer).toEqual(marker);
		expect(told).toEqual([]);
		expect(mine).toEqual([[marker, 'ann']]);
		await expect(handlers['marker:unread'](socketOf('ann'), { group: 3, message: 9, extra: 1 })).rejects.toThrow();
	});
});
