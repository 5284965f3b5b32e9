import type { WriteLimits } from '../../limits/write-limits.js';
import { GroupRef } from '../events.js';
import type { PresenceStore } from '../presence.js';
import type { Handlers } from './handler.js';
import { requireJoined } from './typing.js';

export interface PresenceDeps {
	presence: Pick<PresenceStore, 'online'>;
	limits: Pick<WriteLimits, 'consume'>;
	presenceListMax: number;
}

export function presenceHandlers(deps: PresenceDeps): Pick<Handlers, 'presence:get'> {
	return {
		async 'presence:get'(socket, payload) {
			const { group } = GroupRef.parse(payload);
			await deps.limits.consume('presence', socket.data.identity.userId);
			requireJoined(socket, group);
			const online = await deps.presence.online(group, deps.presenceListMax);
			return { group, online: online.users, online_count: online.count };
		},
	};
}
