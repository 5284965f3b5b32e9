import type { RedisClientType } from 'redis';

export interface PresenceEntry {
	group: number;
	user: string;
}

/** What a heartbeat found: users now offline everywhere, and users back online after Redis had lost them. */
export interface PresenceChanges {
	offline: PresenceEntry[];
	online: PresenceEntry[];
}

/**
 * Who is online in which group, counted per device, across instances. `connect` answers true when it was
 * the user's first device in the group anywhere; `disconnect` true when it was the last one.
 */
export interface PresenceStore {
	connect(group: number, user: string): Promise<boolean>;
	disconnect(group: number, user: string): Promise<boolean>;
	online(group: number): Promise<string[]>;
	/** Periodic upkeep: keep this instance alive, report users of dead instances who went offline, heal what Redis lost. */
	heartbeat(): Promise<PresenceChanges>;
	close(): Promise<void>;
}

const field = (group: number, user: string) => `${group}:${user}`;
const parseField = (value: string): PresenceEntry => {
	const index = value.indexOf(':');
	return { group: Number(value.slice(0, index)), user: value.slice(index + 1) };
};

/** Device counts per `group:user` on one instance. */
class DeviceCounts {
	private readonly counts = new Map<string, number>();

	/** Adds a device; answers the user's devices in the group now. */
	add(key: string): number {
		const count = (this.counts.get(key) ?? 0) + 1;
		this.counts.set(key, count);
		return count;
	}

	/** Removes a device; answers the devices left (the entry goes at zero). */
	remove(key: string): number {
		const count = (this.counts.get(key) ?? 0) - 1;
		if (count > 0) this.counts.set(key, count);
		else this.counts.delete(key);
		return Math.max(0, count);
	}

	users(group: number): string[] {
		return [...this.counts.keys()]
			.map(parseField)
			.filter((entry) => entry.group === group)
			.map((entry) => entry.user);
	}

	entries(): Array<[string, number]> {
		return [...this.counts.entries()];
	}

	clear(): void {
		this.counts.clear();
	}
}

/** One instance, no Redis: a map of counts. */
export class MemoryPresence implements PresenceStore {
	private readonly local = new DeviceCounts();

	async connect(group: number, user: string): Promise<boolean> {
		return this.local.add(field(group, user)) === 1;
	}

	async disconnect(group: number, user: string): Promise<boolean> {
		return this.local.remove(field(group, user)) === 0;
	}

	async online(group: number): Promise<string[]> {
		return this.local.users(group);
	}

	async heartbeat(): Promise<PresenceChanges> {
		return { offline: [], online: [] };
	}

	async close(): Promise<void> {
		this.local.clear();
	}
}

/**
 * Redis: each instance keeps its own hash of device counts (`presence:<instance>`) and a liveness key that
 * expires after three missed heartbeats. Online = the sum over live instances. When an instance dies, the
 * first survivor to notice takes a lock, reports the users who are now offline everywhere, and drops the
 * dead hash: a killed instance's users go offline within about three heartbeats.
 *
 * Each instance also keeps its own counts in memory, because Redis may lose them (a restart without
 * persistence, or a survivor that took a stalled instance for dead): the heartbeat that finds this instance
 * missing from the set, or follows a failed write, writes them back. While Redis is away, presence answers
 * from this instance's own sockets.
 */
export class RedisPresence implements PresenceStore {
	private readonly local = new DeviceCounts();
	/** A write to Redis failed: this instance's hash may be behind `local` until the next heartbeat. */
	private behind = false;

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

	/** Devices per key summed over the live instances and this one, as Redis has them. */
	private async globalCounts(keys: string[]): Promise<number[]> {
		if (keys.length === 0) return [];
		const instances = await this.liveInstances();
		if (!instances.includes(this.instanceId)) instances.push(this.instanceId);
		const perInstance = await Promise.all(instances.map((id) => this.redis.hmGet(this.hashKey(id), keys)));
		return keys.map((_key, index) => perInstance.reduce((sum, counts) => sum + Number(counts[index] ?? 0), 0));
	}

	/** Stores this instance's count of `key` as `local` has it (absolute, so a later write repairs an earlier failure). */
	private async write(key: string, count: number): Promise<void> {
		if (count > 0) await this.redis.hSet(this.hashKey(this.instanceId), key, count);
		else await this.redis.hDel(this.hashKey(this.instanceId), key);
	}

	async connect(group: number, user: string): Promise<boolean> {
		const key = field(group, user);
		const here = this.local.add(key);
		try {
			await this.write(key, here);
			const [everywhere] = await this.globalCounts([key]);
			return everywhere === 1;
		} catch {
			// Redis is away: the heartbeat writes this back; meanwhile this instance answers for its own sockets.
			this.behind = true;
			return here === 1;
		}
	}

	async disconnect(group: number, user: string): Promise<boolean> {
		const key = field(group, user);
		const here = this.local.remove(key);
		try {
			await this.write(key, here);
			const [everywhere] = await this.globalCounts([key]);
			return everywhere === 0;
		} catch {
			this.behind = true;
			return here === 0;
		}
	}

	async online(group: number): Promise<string[]> {
		// This instance's own users are online whatever Redis says (it may not have them back yet).
		const users = new Set(this.local.users(group));
		try {
			for (const instance of await this.liveInstances()) {
				const entries = await this.redis.hGetAll(this.hashKey(instance));
				for (const [key, count] of Object.entries(entries)) {
					const entry = parseField(key);
					if (entry.group === group && Number(count) > 0) users.add(entry.user);
				}
			}
		} catch {
			// Redis is away: the users of this instance are all it can vouch for.
		}
		return [...users];
	}

	async heartbeat(): Promise<PresenceChanges> {
		// SADD answers 1 when the set did not hold this instance: Redis restarted empty, or a survivor swept it as dead.
		const missing = (await this.redis.sAdd(this.instancesKey, this.instanceId)) === 1;
		await this.redis.set(this.aliveKey(this.instanceId), String(Date.now()), { PX: this.heartbeatMs * 3 });
		const online = missing || this.behind ? await this.restore() : [];
		return { offline: await this.sweepDead(), online };
	}

	/** Writes this instance's counts back whole; answers the users who were offline everywhere until now. */
	private async restore(): Promise<PresenceEntry[]> {
		const keys = this.local.entries().map(([key]) => key);
		const before = await this.globalCounts(keys);
		// The snapshot and the write leave in one tick, so connects and disconnects after it land on top of it.
		const snapshot = Object.fromEntries(this.local.entries());
		this.behind = false;
		const rewrite = this.redis.multi().del(this.hashKey(this.instanceId));
		if (Object.keys(snapshot).length > 0) rewrite.hSet(this.hashKey(this.instanceId), snapshot);
		try {
			await rewrite.exec();
		} catch (error) {
			this.behind = true;
			throw error;
		}
		return keys.filter((key, index) => before[index] === 0 && key in snapshot).map(parseField);
	}

	private async sweepDead(): Promise<PresenceEntry[]> {
		const instances = await this.redis.sMembers(this.instancesKey);
		const alive = await this.liveInstances();
		const offline: PresenceEntry[] = [];
		for (const dead of instances.filter((id) => !alive.includes(id) && id !== this.instanceId)) {
			const locked = await this.redis.set(`${this.prefix}sweep:${dead}`, this.instanceId, { NX: true, PX: this.heartbeatMs * 3 });
			if (!locked) continue;
			const keys = Object.keys(await this.redis.hGetAll(this.hashKey(dead)));
			await this.redis.del(this.hashKey(dead));
			await this.redis.sRem(this.instancesKey, dead);
			const left = await this.globalCounts(keys);
			offline.push(...keys.filter((_key, index) => left[index] === 0).map(parseField));
		}
		return offline;
	}

	async close(): Promise<void> {
		this.local.clear();
		await this.redis.del([this.hashKey(this.instanceId), this.aliveKey(this.instanceId)]);
		await this.redis.sRem(this.instancesKey, this.instanceId);
	}
}
