import type { Accountability } from '@directus/types';
import { QueryNotAllowedError } from '../errors/index.js';

/** Directus `/websocket` message types a non-admin may send: authentication and keep-alive only. */
const WEBSOCKET_TYPES_FOR_MEMBERS = ['auth', 'ping', 'pong'];

/**
 * `websocket.message` filter: Directus's own realtime is for admins. Its subscriptions send every deleted key
 * to every subscriber and compute their own counts, so they cannot carry a row scope; members use the
 * community socket (/community/socket.io), which does. Refused messages are answered with QUERY_NOT_ALLOWED.
 */
export function guardWebSocketMessage<T extends { type?: unknown }>(message: T, accountability: Accountability | null | undefined): T {
	if (accountability?.admin === true) return message;
	const type = String(message?.type ?? '');
	if (!WEBSOCKET_TYPES_FOR_MEMBERS.includes(type))
		throw new QueryNotAllowedError({ reason: `Directus realtime "${type}" messages are for admins; use the community socket` });
	return message;
}
