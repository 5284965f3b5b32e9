import type { RedisClientType } from 'redis';
import { describe, expect, it } from 'vitest';
import { MemoryPresence, RedisPresence, type OnlineList } from './presence.js';

/** The Redis commands presence uses, in memory, with a clock, an outage switch and a restart that keeps nothing. */
class FakeRedis {
	now = 0;
	down = false;
	private readonly hashes = new Map<string, Map<string, string>>();
	private readonly sets = new Map<string, Set<string>>();
	private readonly strings = new Map<string, { value: string; expires: number }>();

	restart(): void {
		this.hashes.clear();
		this.sets.clear();
		this.strings.clear();
	}

	private async run<T>(work: () => T): Promise<T> {
		if (this.down) throw new Error('The client is offline');
		return work();
	}
	private hash(key: string) {
		if (!this.hashes.has(key)) this.hashes.set(key, new Map());
		return this.hashes.get(key)!;
	}
	private set_(key: string) {
		if (!this.sets.has(key)) this.sets.set(key, new Set());
		return this.sets.get(key)!;
	}
	private get(key: string) {
		const entry = this.strings.get(key);
		return entry && entry.expires > this.now ? entry.value : null;
	}

	sAdd = (key: string, member: string) =>
		this.run(() => {
			const had = this.set_(key).has(member);
			this.set_(key).add(member);
			return had ? 0 : 1;
		});
	sRem = (key: string, member: string) => this.run(() => Number(this.set_(key).delete(member)));
	sMembers = (key: string) => this.run(() => [...this.set_(key)]);
	set = (key: string, value: string, options: { PX: number; NX?: boolean }) =>
		this.run(() => {
			if (options.NX && this.get(key) !== null) return null;
			this.strings.set(key, { value, expires: this.now + options.PX });
			return 'OK';
		});
	mGet = (keys: string[]) => this.run(() => keys.map((key) => this.get(key)));
	hSet = (key: string, fieldOrValues: string | Record<string, number>, value?: number) =>
		this.run(() => {
			const values = typeof fieldOrValues === 'string' ? { [fieldOrValues]: value! } : fieldOrValues;
			for (const [field, count] of Object.entries(values)) this.hash(key).set(field, String(count));
		});
	hDel = (key: string, field: string) => this.run(() => this.hash(key).delete(field));
	hmGet = (key: string, fields: string[]) => this.run(() => fields.map((field) => this.hash(key).get(field) ?? null));
	hKeys = (key: string) => this.run(() => [...this.hash(key).keys()]);
	del = (keys: string | string[]) =>
		this.run(() => {
			for (const key of [keys].flat()) this.hashes.delete(key) || this.strings.delete(key);
		});
	multi = () => {
		const queued: Array<() => Promise<unknown>> = [];
		const chain = {
			del: (key: string) => (queued.push(() => this.del(key)), chain),
			hSet: (key: string, values: Record<string, number>) => (queued.push(() => this.hSet(key, values)), chain),
			sAdd: (key: string, member: string) => (queued.push(() => this.sAdd(key, member)), chain),
			exec: () => this.run(() => undefined).then(() => Promise.all(queued.map((command) => command()))),
		};
		return chain;
	};
}

const HEARTBEAT_MS = 100;
const instances = (redis: FakeRedis) =>
	['a', 'b'].map((id) => new RedisPresence(redis as unknown as RedisClientType, 'test:', id, HEARTBEAT_MS)) as [
		RedisPresence,
		RedisPresence,
	];
const sorted = async (list: Promise<OnlineList>) => (await list).users.sort();

describe('MemoryPresence', () => {
	it('counts devices: online with the first, offline with the last', async () => {
		const presence = new MemoryPresence();
		expect([await presence.connect(1, 'ann'), await presence.connect(1, 'ann'), await presence.connect(2, 'bob')]).toEqual([
			true,
			false,
			true,
		]);
		expect(await sorted(presence.online(1, 100))).toEqual(['ann']);
		expect([await presence.disconnect(1, 'ann'), await presence.disconnect(1, 'ann')]).toEqual([false, true]);
		expect(await sorted(presence.online(1, 100))).toEqual([]);
	});

	it('lists at most the cap and counts everyone', async () => {
		const presence = new MemoryPresence();
		for (const user of ['ann', 'bob', 'cid']) await presence.connect(1, user);
		expect(await presence.online(1, 2)).toEqual({ users: ['ann', 'bob'], count: 3 });
		expect(await presence.online(7, 2)).toEqual({ users: [], count: 0 });
	});
});

describe('RedisPresence', () => {
	it('sums devices over instances: first device anywhere is online, last one anywhere offline', async () => {
		const redis = new FakeRedis();
		const [a, b] = instances(redis);
		await a.heartbeat();
		await b.heartbeat();
		expect(await a.connect(1, 'ann')).toBe(true);
		expect(await b.connect(1, 'ann')).toBe(false);
		expect(await b.connect(1, 'bob')).toBe(true);
		expect(await sorted(a.online(1, 100))).toEqual(['ann', 'bob']);
		expect(await a.disconnect(1, 'ann')).toBe(false);
		expect(await b.disconnect(1, 'ann')).toBe(true);
		expect(await sorted(a.online(1, 100))).toEqual(['bob']);
	});

	it('after a Redis restart that kept nothing, each heartbeat writes its users back and reports them online', async () => {
		const redis = new FakeRedis();
		const [a, b] = instances(redis);
		await a.heartbeat();
		await b.heartbeat();
		await a.connect(1, 'ann');
		await a.connect(1, 'ann');
		await b.connect(1, 'bob');
		redis.restart();
		// Each instance still vouches for its own users meanwhile.
		expect(await sorted(a.online(1, 100))).toEqual(['ann']);
		expect(await a.heartbeat()).toEqual({ offline: [], online: [{ group: 1, user: 'ann' }] });
		expect(await b.heartbeat()).toEqual({ offline: [], online: [{ group: 1, user: 'bob' }] });
		expect(await sorted(b.online(1, 100))).toEqual(['ann', 'bob']);
		// Both of ann's devices came back: one leaving keeps her online.
		expect(await a.disconnect(1, 'ann')).toBe(false);
		expect(await a.heartbeat()).toEqual({ offline: [], online: [] });
	});

	it('while Redis is away, presence answers for this instance and the heartbeat after it writes the changes back', async () => {
		const redis = new FakeRedis();
		const [a, b] = instances(redis);
		await a.heartbeat();
		await b.heartbeat();
		await a.connect(1, 'ann');
		await b.connect(1, 'bob');
		redis.down = true;
		expect(await a.connect(1, 'cid')).toBe(true);
		expect(await a.disconnect(1, 'ann')).toBe(true);
		expect(await sorted(a.online(1, 100))).toEqual(['cid']);
		await expect(a.heartbeat()).rejects.toThrow('offline');
		redis.down = false;
		expect(await sorted(b.online(1, 100))).toEqual(['ann', 'bob']);
		expect(await a.heartbeat()).toEqual({ offline: [], online: [{ group: 1, user: 'cid' }] });
		expect(await sorted(b.online(1, 100))).toEqual(['bob', 'cid']);
	});

	it("a dead instance's users go offline at a survivor's heartbeat (unless online elsewhere); a stalled one comes back", async () => {
		const redis = new FakeRedis();
		const [a, b] = instances(redis);
		await a.heartbeat();
		await b.heartbeat();
		await a.connect(1, 'ann');
		await b.connect(1, 'ann');
		await b.connect(1, 'bob');
		redis.now += HEARTBEAT_MS * 3;
		expect(await a.heartbeat()).toEqual({ offline: [{ group: 1, user: 'bob' }], online: [] });
		expect(await sorted(a.online(1, 100))).toEqual(['ann']);
		expect(await b.heartbeat()).toEqual({ offline: [], online: [{ group: 1, user: 'bob' }] });
		expect(await sorted(a.online(1, 100))).toEqual(['ann', 'bob']);
	});
});

describe('online lists', () => {
	it('cap the users they list and count them all', async () => {
		const presence = new MemoryPresence();
		for (const user of ['ann', 'bob', 'cid']) await presence.connect(1, user);
		const list = await presence.online(1, 2);
		expect(list.count).toBe(3);
		expect(list.users).toHaveLength(2);
	});

	it("read only the asked group's entries on Redis", async () => {
		const redis = new FakeRedis();
		const [a] = instances(redis);
		await a.heartbeat();
		await a.connect(1, 'ann');
		await a.connect(2, 'bob');
		expect(await sorted(a.online(2, 100))).toEqual(['bob']);
	});
});
