import { groupRoom, type CommunityIo } from './types.js';

/**
 * Presence announcements, coalesced per group over a short window: while a large room's members connect at
 * once, each member gets one `presence` event per window listing who came and went, instead of one event per
 * arrival (which made a 1,000-member room's connect storm cost 500,000 deliveries).
 */
export class PresenceFeed {
	/** group → user → online now (the last change in the window wins). */
	private readonly pending = new Map<number, Map<string, boolean>>();
	private timer: NodeJS.Timeout | null = null;

	constructor(
		private readonly io: CommunityIo,
		private readonly windowMs: number,
	) {}

	changed(group: number, user: string, online: boolean): void {
		let users = this.pending.get(group);
		if (!users) this.pending.set(group, (users = new Map()));
		users.set(user, online);
		this.timer ??= setTimeout(() => this.flush(), this.windowMs);
	}

	flush(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		for (const [group, users] of this.pending) {
			const online: string[] = [];
			const offline: string[] = [];
			for (const [user, isOnline] of users) (isOnline ? online : offline).push(user);
			this.io.to(groupRoom(group)).emit('presence', { group, online, offline });
		}
		this.pending.clear();
	}

	close(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		this.pending.clear();
	}
}
