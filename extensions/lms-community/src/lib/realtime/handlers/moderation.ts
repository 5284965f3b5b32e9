import type { ModeratedGroup } from '../../community/moderation.js';
import { NotModeratorError } from '../../errors/index.js';
import { ModerationSubscribe } from '../events.js';
import { moderatorRoom, MODERATION_ADMINS_ROOM } from '../types.js';
import type { CommunitySocket } from '../types.js';
import type { Handlers } from './handler.js';

export interface ModerationDeps {
	moderatedGroups(caller: { userId: string; admin: boolean }): Promise<ModeratedGroup[]>;
}

/**
 * `moderation:subscribe`: the admin app's Community module listens for changes of the moderation queues the
 * caller moderates (`moderation:queue`), instead of polling. Who may hear a group's changes is decided when each
 * change happens (bus.ts); subscribing only says this socket wants them. Someone who moderates nothing is refused.
 */
export function moderationHandlers(deps: ModerationDeps): Pick<Handlers, 'moderation:subscribe'> {
	return {
		async 'moderation:subscribe'(socket, payload) {
			ModerationSubscribe.parse(payload);
			const { userId, accountability } = socket.data.identity;
			const admin = accountability.admin === true;
			const groups = await deps.moderatedGroups({ userId, admin });
			if (!admin && groups.length === 0) throw new NotModeratorError();
			await socket.join(admin ? MODERATION_ADMINS_ROOM : moderatorRoom(userId));
			return { groups: groups.map((group) => group.id) };
		},
	};
}

/**
 * A subscribed socket whose admin access changed (`auth:refresh`, the periodic re-check) moves between the admins'
 * room, which hears every group, and its own moderator room, which hears the groups it moderates when each change
 * happens (bus.ts): a demoted admin stops hearing every queue at once.
 */
export async function followAdminAccess(socket: CommunitySocket): Promise<void> {
	const { userId, accountability } = socket.data.identity;
	const admin = accountability.admin === true;
	const [from, to] = admin ? [moderatorRoom(userId), MODERATION_ADMINS_ROOM] : [MODERATION_ADMINS_ROOM, moderatorRoom(userId)];
	if (!socket.rooms.has(from)) return;
	await socket.leave(from);
	await socket.join(to);
}
