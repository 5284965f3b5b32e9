import type { PresenceStore } from './presence.js';
import type { PresenceFeed } from './presence-feed.js';
import type { TypingTracker } from './typing.js';
import { groupRoom, type CommunitySocket } from './types.js';

/** A socket's group rooms, with what entering and leaving one means for presence and typing. */
export class GroupRooms {
	constructor(
		private readonly presence: PresenceStore,
		private readonly feed: PresenceFeed,
		private readonly typing: TypingTracker,
	) {}

	async enter(socket: CommunitySocket, group: number): Promise<void> {
		if (socket.data.groups.has(group)) return;
		socket.data.groups.add(group);
		await socket.join(groupRoom(group));
		const user = socket.data.identity.userId;
		if (await this.presence.connect(group, user)) this.feed.changed(group, user, true);
	}

	async leave(socket: CommunitySocket, group: number): Promise<void> {
		if (!socket.data.groups.delete(group)) return;
		await socket.leave(groupRoom(group));
		const user = socket.data.identity.userId;
		this.typing.stop(group, user, socket);
		if (await this.presence.disconnect(group, user)) this.feed.changed(group, user, false);
	}

	async leaveAll(socket: CommunitySocket): Promise<void> {
		await Promise.all([...socket.data.groups].map((group) => this.leave(socket, group)));
	}
}
