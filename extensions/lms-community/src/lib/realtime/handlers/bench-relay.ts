import { MessageSend, type WireMessage } from '../events.js';
import { groupRoom, type CommunityIo } from '../types.js';
import { toWireMessage } from '../wire.js';
import type { Handlers } from './handler.js';
import { requireJoined } from './typing.js';

/**
 * Benchmarks only (COMMUNITY_BENCH_RELAY_ONLY): replaces `message:send` with the same input checks and a
 * broadcast of what would be stored, storing nothing. It measures what hosting the socket in Directus costs;
 * the production handler carries no trace of it.
 */
export function benchRelayHandlers(io: CommunityIo): Pick<Handlers, 'message:send'> {
	let seq = 0;
	return {
		async 'message:send'(socket, payload): Promise<WireMessage> {
			const input = MessageSend.parse(payload);
			requireJoined(socket, input.group);
			const message = toWireMessage({
				id: ++seq,
				group: input.group,
				sender: socket.data.identity.userId,
				body: input.body,
				seq,
				reply_to: input.reply_to ?? null,
				client_id: input.client_id,
				date_created: new Date(),
			});
			io.to(groupRoom(input.group)).emit('message:new', message);
			return message;
		},
	};
}
