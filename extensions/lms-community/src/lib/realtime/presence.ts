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

/** Who is online in a group: at most the asked number of users, and how many there are. */
export interface OnlineList {
	users: string[];
	count: number;
}

/**
 * Who is online in which group, counted per device, across instances. `connect` answers true when it was
 * the user's first device in the group anywhere; `disconnect` true when it was the last one.
 */
export interface PresenceStore {
	connect(group: number, user: string): Promise<boolean>;
	disconnect(group: number, user: string): Promise<boolean>;
	online(group: number, max: number): Promise<OnlineList>;
	/** Periodic upkeep: keep this instance alive, report users of dead instances who went offline, heal what Redis lost. */
	heartbeat(): Promise<PresenceChanges>;
	close(): Promise<void>;
}

/** The first `max` users and how many there are, without copying the rest (a join in a large room reads this). */
const capped = (users: ReadonlySet<string> | ReadonlyMap<string, unknown>, max: number): OnlineList => {
	const listed: string[] = [];
	for (const user of users.keys()) {
		if (listed.length >= max) break;
		listed.push(user);
	}
	return { users: listed, count: users.size };
};

const NOBODY: ReadonlyMap<string, number> = new Map();

/** Device counts per group and user on one instance. */
class DeviceCounts {
	private readonly groups = new Map<number, Map<string, number>>();

	/** Adds a device; answers the user's devices in the group now. */
	add(group: number, user: string): number {
		let users = this.groups.get(group);
		if (!users) this.groups.set(group, (users = new Map()));
		const count = (users.get(user) ?? 0) + 1;
		users.set(user, count);
		return count;
	}

	/** Removes a device; answers the devices left (the entry goes at zero). */
	remove(group: number, user: string): number {
		const users = this.groups.get(group);
		const count = (users?.get(user) ?? 0) - 1;
		if (users && count > 0) users.set(user, count);
		else if (users) {
			users.delete(user);
			if (users.size === 0) this.groups.delete(group);
		}
		return Math.max(0, count);
	}

	/** user → devices in the group (empty when nobody is there). */
	devicesOf(group: number): ReadonlyMap<string, number> {
		return this.groups.get(group) ?? NOBODY;
	}

	users(group: number): string[] {
		return [...(this.groups.get(group)?.keys() ?? [])];
	}

	/** group → user → devices. */
	entries(): ReadonlyMap<number, ReadonlyMap<string, number>> {
		return this.groups;
	}

	clear(): void {
		this.groups.clear();
	}
}

/** One instance, no Redis: a map of counts. */
export class MemoryPresence implements PresenceStore {
	private readonly local = new DeviceCounts();

	async connect(group: number, user: string): Promise<boolean> {
		return this.local.add(group, user) === 1;
	}

	async disconnect(group: number, user: string): Promise<boolean> {
		return this.local.remove(group, user) === 0;
	}

	async online(group: number, max: number): Promise<OnlineList> {
		return capped(this.local.devicesOf(group), max);
	}

	async heartbeat(): Promise<PresenceChanges> {
		return { offline: [], online: [] };
	}

	async close(): Promise<void> {
		this.local.clear();
	}
}

/**
 * Redis: each instance keeps one hash of device counts per group (`presence:<instance>:g:<group>`, user →
 * devices) and the set of groups it has entries in, plus a liveness key that expires after three missed
 * heartbeats. Online = the union over live instances, so a question about one group reads only that group's
 * entries (a join in a busy room no longer reads every group's). When an instance dies, the first survivor
 * to notice takes a lock, reports the users who are now offline everywhere, and drops the dead entries: a
 * killed instance's users go offline within about three heartbeats.
 *
 * Each instance also keeps its own counts in memory, because Redis may lose them (a restart without
 * persistence, or a survivor that took a stalled instance for dead): the heartbeat that finds this instance
 * missing from the set, or follows a failed write, writes them back. While Redis is away, presence answers
 * from this instance's own sockets.
 */
export class RedisPresence implements PresenceStore {
	private readonly local = new DeviceCounts();
	/** A write to Redis failed: this instance's entries may be behind `local` until the next heartbeat. */
	private behind = false;

	constructor(
		private readonly redis: RedisClientType,
		private readonly prefix: string,
		private readonly instanceId: string,
		private readonly heartbeatMs: number,
	) {}

	private groupKey(instance: string, group: number) {
		return `${this.prefix}presence:${instance}:g:${group}`;
	}
	private groupsKey(instance: string) {
		return `${this.prefix}presence:${instance}:groups`;
	}
	private aliveKey(instance: string) {
		return `${this.prefix}alive:${instance}`;
	}
	private get instancesKey() {
		return `${this.prefix}instances`;
	}

	/** The instances whose liveness key is set, this one always among them. */
	private async liveInstances(): Promise<string[]> {
		const instances = await this.redis.sMembers(this.instancesKey);
		const alive = instances.length === 0 ? [] : await this.redis.mGet(instances.map((id) => this.aliveKey(id)));
		const live = instances.filter((_id, index) => alive[index] !== null);
		return live.includes(this.instanceId) ? live : [...live, this.instanceId];
	}

	/** Devices of `users` in `group` summed over `instances`, as Redis has them. */
	private async globalCounts(group: number, users: string[], instances: string[]): Promise<number[]> {
		if (users.length === 0) return [];
		const perInstance = await Promise.all(instances.map((id) => this.redis.hmGet(this.groupKey(id, group), users)));
		return users.map((_user, index) => perInstance.reduce((sum, counts) => sum + Number(counts[index] ?? 0), 0));
	}

	/** Stores this instance's count as `local` has it (absolute, so a later write repairs an earlier failure). */
	private async write(group: number, user: string, count: number): Promise<void> {
		if (count > 0)
			await Promise.all([
				this.redis.hSet(this.groupKey(this.instanceId, group), user, count),
				this.redis.sAdd(this.groupsKey(this.instanceId), String(group)),
			]);
		else await this.redis.hDel(this.groupKey(this.instanceId, group), user);
	}

	/** Writes this instance's count and answers the devices everywhere now. */
	private async update(group: number, user: string, here: number): Promise<number> {
		const [, instances] = await Promise.all([this.write(group, user, here), this.liveInstances()]);
		const [everywhere] = await this.globalCounts(group, [user], instances);
		return everywhere ?? 0;
	}

	async connect(group: number, user: string): Promise<boolean> {
		const here = this.local.add(group, user);
		try {
			return (await this.update(group, user, here)) === 1;
		} catch {
			// Redis is away: the heartbeat writes this back; meanwhile this instance answers for its own sockets.
			this.behind = true;
			return here === 1;
		}
	}

	async disconnect(group: number, user: string): Promise<boolean> {
		const here = this.local.remove(group, user);
		try {
			return (await this.update(group, user, here)) === 0;
		} catch {
			this.behind = true;
			return here === 0;
		}
	}

	async online(group: number, max: number): Promise<OnlineList> {
		// This instance's own users are online whatever Redis says (it may not have them back yet).
		const users = new Set(this.local.users(group));
		try {
			const perInstance = await Promise.all((await this.liveInstances()).map((id) => this.redis.hKeys(this.groupKey(id, group))));
			for (const instanceUsers of perInstance) for (const user of instanceUsers) users.add(user);
		} catch {
			// Redis is away: the users of this instance are all it can vouch for.
		}
		return capped(users, max);
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
		// The snapshot and the write leave in one tick, so connects and disconnects after it land on top of it.
		const snapshot = [...this.local.entries()].map(([group, users]) => ({ group, counts: Object.fromEntries(users) }));
		const [instances, previousGroups] = await Promise.all([this.liveInstances(), this.redis.sMembers(this.groupsKey(this.instanceId))]);
		const before = await Promise.all(snapshot.map(({ group, counts }) => this.globalCounts(group, Object.keys(counts), instances)));
		this.behind = false;
		const rewrite = this.redis.multi();
		for (const group of previousGroups) rewrite.del(this.groupKey(this.instanceId, Number(group)));
		rewrite.del(this.groupsKey(this.instanceId));
		for (const { group, counts } of snapshot) {
			rewrite.hSet(this.groupKey(this.instanceId, group), counts);
			rewrite.sAdd(this.groupsKey(this.instanceId), String(group));
		}
		try {
			await rewrite.exec();
		} catch (error) {
			this.behind = true;
			throw error;
		}
		return snapshot.flatMap(({ group, counts }, index) =>
			Object.keys(counts)
				.filter((_user, userIndex) => before[index]![userIndex] === 0)
				.map((user) => ({ group, user })),
		);
	}

	private async sweepDead(): Promise<PresenceEntry[]> {
		const instances = await this.redis.sMembers(this.instancesKey);
		const alive = await this.liveInstances();
		const offline: PresenceEntry[] = [];
		for (const dead of instances.filter((id) => !alive.includes(id))) {
			const locked = await this.redis.set(`${this.prefix}sweep:${dead}`, this.instanceId, { NX: true, PX: this.heartbeatMs * 3 });
			if (!locked) continue;
			const groups = (await this.redis.sMembers(this.groupsKey(dead))).map(Number);
			const users = await Promise.all(groups.map((group) => this.redis.hKeys(this.groupKey(dead, group))));
			await this.redis.del([...groups.map((group) => this.groupKey(dead, group)), this.groupsKey(dead)]);
			await this.redis.sRem(this.instancesKey, dead);
			for (const [index, group] of groups.entries()) {
				const left = await this.globalCounts(group, users[index]!, alive);
				offline.push(...users[index]!.filter((_user, userIndex) => left[userIndex] === 0).map((user) => ({ group, user })));
			}
		}
		return offline;
	}

	async close(): Promise<void> {
		this.local.clear();
		const groups = await this.redis.sMembers(this.groupsKey(this.instanceId));
		await this.redis.del([
			...groups.map((group) => this.groupKey(this.instanceId, Number(group))),
			this.groupsKey(this.instanceId),
			this.aliveKey(this.instanceId),
		]);
		await this.redis.sRem(this.instancesKey, this.instanceId);
	}
}
