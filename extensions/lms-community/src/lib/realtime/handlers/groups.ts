import type { ReadMarker } from '../../community/chat.js';
import type { JoinResult } from '../../community/membership.js';
import type { WriteLimits } from '../../limits/write-limits.js';
import { GroupRef } from '../events.js';
import type { PresenceStore } from '../presence.js';
import type { GroupRooms } from '../rooms.js';
import type { Handlers } from './handler.js';

export interface GroupDeps {
	/** The join, with the marker when it came with the join's facts (a member already in). */
	join(group: number, user: string): Promise<JoinResult & { readMarker: ReadMarker | null }>;
	readMarker(group: number, user: string): Promise<ReadMarker>;
	limits: Pick<WriteLimits, 'consume'>;
	presence: Pick<PresenceStore, 'online'>;
	rooms: Pick<GroupRooms, 'enter' | 'leave'>;
	/** Largest online list a join answers (`online_count` counts everyone). */
	presenceListMax: number;
}

/** `group:join` runs the join rules (as REST's join does) and puts the socket in the group's room. */
export function groupHandlers(deps: GroupDeps): Pick<Handlers, 'group:join' | 'group:leave'> {
	return {
		async 'group:join'(socket, payload) {
			const { group } = GroupRef.parse(payload);
			const user = socket.data.identity.userId;
			await deps.limits.consume('join', user);
			const { member, readMarker } = await deps.join(group, user);
			await deps.rooms.enter(socket, group);
			const [online, marker] = await Promise.all([
				deps.presence.online(group, deps.presenceListMax),
				readMarker ?? deps.readMarker(group, user),
			]);
			return { group, member: { role: member.role, status: member.status }, presence: online.users, online_count: online.count, marker };
		},
		async 'group:leave'(socket, payload) {
			const { group } = GroupRef.parse(payload);
			await deps.rooms.leave(socket, group);
			return { group };
		},
	};
}
