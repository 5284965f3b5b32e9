import type { Accountability, SchemaOverview } from '@directus/types';
import { isDirectusError } from '../errors/index.js';
import { ClientId } from '../rules/schemas.js';
import type { CommunityContext } from './context.js';

export interface SentMessage {
	id: number | string;
	/** false when a message with this sender and client_id existed already (a retry). */
	created: boolean;
}

/**
 * Creates a chat message through ItemsService with the sender's accountability (permissions and the bundle's
 * rules run), idempotently on (sender, client_id): a retry finds the first message, and of racing retries the
 * unique index lets one insert win while the others read it. REST and the socket both send through here.
 */
export async function sendMessage(
	context: CommunityContext,
	accountability: Accountability,
	schema: SchemaOverview,
	payload: Record<string, unknown>,
): Promise<SentMessage> {
	const userId = accountability.user;
	// A client_id the rules refuse (e.g. holding a NUL, which PostgreSQL cannot even compare) is not looked up: the create refuses it.
	const validClientId = ClientId.safeParse(payload['client_id']);
	const clientId = validClientId.success ? validClientId.data : null;
	const messages = new context.services.ItemsService('community_messages', { schema, accountability });
	const existing = async () =>
		userId && clientId
			? ((await context.database('community_messages').select('id').where({ sender: userId, client_id: clientId }).first()) as
					{ id: number } | undefined)
			: undefined;

	const first = await existing();
	if (first) return { id: first.id, created: false };
	try {
		return { id: await messages.createOne(payload), created: true };
	} catch (error) {
		const winner = isDirectusError(error, 'RECORD_NOT_UNIQUE') ? await existing() : undefined;
		if (!winner) throw error;
		return { id: winner.id, created: false };
	}
}
