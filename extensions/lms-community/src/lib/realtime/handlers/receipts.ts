import type { ReadMarker } from '../../community/chat.js';
import type { WriteLimits } from '../../limits/write-limits.js';
import type { CommunityBus } from '../bus.js';
import { ReceiptRead } from '../events.js';
import type { Handlers } from './handler.js';

export interface ReceiptDeps {
	markRead(caller: { userId: string; admin: boolean }, group: number, message: number): Promise<ReadMarker>;
	limits: Pick<WriteLimits, 'consume'>;
	bus: Pick<CommunityBus, 'receiptUpdated'>;
}

/** `receipt:read` moves the member's marker forward (as REST's POST /community/groups/:id/read does) and tells the room. */
export function receiptHandlers(deps: ReceiptDeps): Pick<Handlers, 'receipt:read'> {
	return {
		async 'receipt:read'(socket, payload) {
			const { group, message } = ReceiptRead.parse(payload);
			const { userId, accountability } = socket.data.identity;
			await deps.limits.consume('read', userId);
			const marker = await deps.markRead({ userId, admin: accountability.admin === true }, group, message);
			deps.bus.receiptUpdated(marker, userId);
			return marker;
		},
	};
}
