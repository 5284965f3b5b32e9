import { groupRoom, type CommunityIo, type CommunitySocket } from './types.js';

/**
 * Typing indicators of this instance's sockets: one timer per typing member and group. A start is announced
 * once and refreshed silently; the indicator ends on stop, on its TTL, or when the member leaves the room.
 */
export class TypingTracker {
	private readonly timers = new Map<string, NodeJS.Timeout>();

	constructor(
		private readonly io: CommunityIo,
		private readonly ttlMs: number,
	) {}

	get ttl(): number {
		return this.ttlMs;
	}

	start(socket: CommunitySocket, group: number): void {
		const user = socket.data.identity.userId;
		const key = `${group}:${user}`;
		const wasTyping = this.timers.has(key);
		clearTimeout(this.timers.get(key));
		this.timers.set(
			key,
			setTimeout(() => this.stop(group, user), this.ttlMs),
		);
		if (!wasTyping) socket.to(groupRoom(group)).emit('typing', { group, user, typing: true, expires_in: this.ttlMs });
	}

	/** Ends an indicator; the typist's own socket (when given) is not told. */
	stop(group: number, user: string, socket?: CommunitySocket): void {
		const key = `${group}:${user}`;
		const timer = this.timers.get(key);
		if (!timer) return;
		clearTimeout(timer);
		this.timers.delete(key);
		(socket ? socket.to(groupRoom(group)) : this.io.to(groupRoom(group))).emit('typing', { group, user, typing: false });
	}

	close(): void {
		for (const timer of this.timers.values()) clearTimeout(timer);
		this.timers.clear();
	}
}
