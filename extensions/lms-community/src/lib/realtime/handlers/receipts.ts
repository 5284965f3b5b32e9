import type { ReadMarker } from '../../community/chat.js';
import type { WriteLimits } from '../../limits/write-limits.js';
import type { CommunityBus } from '../bus.js';
import { MarkerUnread, ReceiptRead } from '../events.js';
import type { Handlers } from './handler.js';

type Caller = { userId: string; admin: boolean };

export interface ReceiptDeps {
	markRead(caller: Caller, group: number, message: number): Promise<ReadMarker>;
	markUnread(caller: Caller, group: number, message: number): Promise<ReadMarker>;
	limits: Pick<WriteLimits, 'consume'>;
	bus: Pick<CommunityBus, 'receiptUpdated' | 'markerUpdated'>;
}

/**
 * `receipt:read` moves the member's marker forward (as REST's POST /community/groups/:id/read does) and tells the
 * room; `marker:unread` moves only their own unread marker back (POST /community/groups/:id/unread), which the
 * room never sees. Either way the member's own devices get `marker:update`.
 */
export function receiptHandlers(deps: ReceiptDeps): Pick<Handlers, 'receipt:read' | 'marker:unread'> {
	return {
		async 'receipt:read'(socket, payload) {
			const { group, message } = ReceiptRead.parse(payload);
			const { userId, accountability } = socket.data.identity;
			await deps.limits.consume('read', userId);
			const marker = await deps.markRead({ userId, admin: accountability.admin === true }, group, message);
			deps.bus.receiptUpdated(marker, userId);
			deps.bus.markerUpdated(marker, userId);
			return marker;
		},
		async 'marker:unread'(socket, payload) {
			const { group, message } = MarkerUnread.parse(payload);
			const { userId, accountability } = socket.data.identity;
			await deps.limits.consume('read', userId);
			const marker = await deps.markUnread({ userId, admin: accountability.admin === true }, group, message);
			deps.bus.markerUpdated(marker, userId);
			return marker;
		},
	};
}
