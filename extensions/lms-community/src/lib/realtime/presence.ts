import type { RedisClientType } from 'redis';

/**
 * Who is online in which group, counted per device, across instances. `connect` answers true when it was
 * the user's first device in the group anywhere; `disconnect` true when it was the last one.
 */
export interface PresenceStore {
	connect(group: number, user: string): Promise<boolean>;
	disconnect(group: number, user: string): Promise<boolean>;
	online(group: number): Promise<string[]>;
	/** Periodic upkeep: keep this instance alive, and report users of dead instances who went offline. */
	heartbeat(): Promise<Array<{ group: number; user: string }>>;
	close(): Promise<void>;
}

const field = (group: number, user: string) => `${group}:${user}`;
const parseField = (value: string) => {
	const index = value.indexOf(':');
	return { group: Number(value.slice(0, index)), user: value.slice(index + 1) };
};

/** One instance, no Redis: a map of counts. */
export class MemoryPresence implements PresenceStore {
	private readonly counts = new Map<string, number>();

	async connect(group: number, user: string): Promise<boolean> {
		const key = field(group, user);
		const count = (this.counts.get(key) ?? 0) + 1;
		this.counts.set(key, count);
		return count === 1;
	}

	async disconnect(group: number, user: string): Promise<boolean> {
		const key = field(group, user);
		const count = (this.counts.get(key) ?? 0) - 1;
		if (count > 0) {
			this.counts.set(key, count);
			return false;
		}
		const wasOnline = this.counts.delete(key);
		return wasOnline;
	}

	async online(group: number): Promise<string[]> {
		return [...this.counts.keys()]
			.map(parseField)
			.filter((entry) => entry.group === group)
			.map((entry) => entry.user);
	}

	async heartbeat(): Promise<Array<{ group: number; user: string }>> {
		return [];
	}

	async close(): Promise<void> {
		this.counts.clear();
	}
}

/**
 * Redis: each instance keeps its own hash of device counts (`presence:<instance>`) and a liveness key that
 * expires after three missed heartbeats. Online = the sum over live instances. When an instance dies, the
 * first survivor to notice takes a lock, reports the users who are now offline everywhere, and drops the
 * dead hash: a killed instance's users go offline within about three heartbeats.
 */
export class RedisPresence implements PresenceStore {
	constructor(
		private readonly redis: RedisClientType,
		private readonly prefix: string,
		private readonly instanceId: string,
		private readonly heartbeatMs: number,
	) {}

	private hashKey(instance: string) {
		return `${this.prefix}presence:${instance}`;
	}
	private aliveKey(instance: string) {
		return `${this.prefix}alive:${instance}`;
	}
	private get instancesKey() {
		return `${this.prefix}instances`;
	}

	private async liveInstances(): Promise<string[]> {
		const instances = await this.redis.sMembers(this.instancesKey);
		if (instances.length === 0) return [];
		const alive = await this.redis.mGet(instances.map((id) => this.aliveKey(id)));
		return instances.filter((_id, index) => alive[index] !== null);
	}

	private async globalCount(key: string): Promise<number> {
		const instances = await this.liveInstances();
		if (!instances.includes(this.instanceId)) instances.push(this.instanceId);
		const counts = await Promise.all(instances.map((id) => this.redis.hGet(this.hashKey(id), key)));
		return counts.reduce((sum, value) => sum + Number(value ?? 0), 0);
	}

	async connect(group: number, user: string): Promise<boolean> {
		const key = field(group, user);
		await this.redis.hIncrBy(this.hashKey(this.instanceId), key, 1);
		return (await this.globalCount(key)) === 1;
	}

	async disconnect(group: number, user: string): Promise<boolean> {
		const key = field(group, user);
		const left = await this.redis.hIncrBy(this.hashKey(this.instanceId), key, -1);
		if (left <= 0) await this.redis.hDel(this.hashKey(this.instanceId), key);
		return (await this.globalCount(key)) === 0;
	}

	async online(group: number): Promise<string[]> {
		const users = new Set<string>();
		for (const instance of await this.liveInstances()) {
			const entries = await this.redis.hGetAll(this.hashKey(instance));
			for (const [key, count] of Object.entries(entries)) {
				const entry = parseField(key);
				if (entry.group === group && Number(count) > 0) users.add(entry.user);
			}
		}
		return [...users];
	}

	async heartbeat(): Promise<Array<{ group: number; user: string }>> {
		await this.redis.sAdd(this.instancesKey, this.instanceId);
		await this.redis.set(this.aliveKey(this.instanceId), String(Date.now()), { PX: this.heartbeatMs * 3 });
		const instances = await this.redis.sMembers(this.instancesKey);
		const alive = await this.liveInstances();
		const offline: Array<{ group: number; user: string }> = [];
		for (const dead of instances.filter((id) => !alive.includes(id))) {
			const locked = await this.redis.set(`${this.prefix}sweep:${dead}`, this.instanceId, { NX: true, PX: this.heartbeatMs * 3 });
			if (!locked) continue;
			const entries = await this.redis.hGetAll(this.hashKey(dead));
			await this.redis.del(this.hashKey(dead));
			await this.redis.sRem(this.instancesKey, dead);
			for (const key of Object.keys(entries)) {
				if ((await this.globalCount(key)) === 0) offline.push(parseField(key));
			}
		}
		return offline;
	}

	async close(): Promise<void> {
		await this.redis.del([this.hashKey(this.instanceId), this.aliveKey(this.instanceId)]);
		await this.redis.sRem(this.instancesKey, this.instanceId);
	}
}
