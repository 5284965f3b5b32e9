import type { WriteLimits } from '../../limits/write-limits.js';
import { NotJoinedError } from '../../errors/index.js';
import { GroupRef } from '../events.js';
import type { TypingTracker } from '../typing.js';
import type { CommunitySocket } from '../types.js';
import type { Handlers } from './handler.js';

export interface TypingDeps {
	typing: Pick<TypingTracker, 'start' | 'stop' | 'ttl'>;
	limits: Pick<WriteLimits, 'consume'>;
}

export const requireJoined = (socket: CommunitySocket, group: number): void => {
	if (!socket.data.groups.has(group)) throw new NotJoinedError({ group });
};

/** Typing indicators reach the group's room only; a start counts against the member's typing budget. */
export function typingHandlers(deps: TypingDeps): Pick<Handlers, 'typing:start' | 'typing:stop'> {
	return {
		async 'typing:start'(socket, payload) {
			const { group } = GroupRef.parse(payload);
			requireJoined(socket, group);
			await deps.limits.consume('typing', socket.data.identity.userId);
			deps.typing.start(socket, group);
			return { group, typing: true, expires_in: deps.typing.ttl };
		},
		async 'typing:stop'(socket, payload) {
			const { group } = GroupRef.parse(payload);
			requireJoined(socket, group);
			deps.typing.stop(group, socket.data.identity.userId, socket);
			return { group, typing: false };
		},
	};
}
