import type { Accountability, SchemaOverview } from '@directus/types';
import type { NextFunction, Request, Response } from 'express';
import { isDirectusError } from '../errors/index.js';
import type { CommunityContext } from './context.js';

type DirectusRequest = Request & { accountability?: Accountability; schema?: SchemaOverview; sanitizedQuery?: Record<string, unknown> };

/**
 * POST /items/community_messages with a `client_id`, ahead of Directus's own route: a retry of an accepted
 * message answers with the first message instead of writing a second row, also when the retries race (the
 * unique (sender, client_id) index decides, and the loser reads the winner). Everything else about the
 * create (permissions, the bundle's rules, seq) is Directus's ItemsService with the caller's accountability.
 */
export function idempotentMessageCreate(context: CommunityContext) {
	return async (req: DirectusRequest, res: Response, next: NextFunction) => {
		const body = req.body as Record<string, unknown> | undefined;
		const userId = req.accountability?.user;
		if (!body || Array.isArray(body) || typeof body !== 'object' || typeof body['client_id'] !== 'string' || !userId || !req.schema)
			return next();
		try {
			const messages = new context.services.ItemsService('community_messages', { schema: req.schema, accountability: req.accountability! });
			const clientId = body['client_id'].trim();
			const existing = () => context.database('community_messages').select('id').where({ sender: userId, client_id: clientId }).first();
			let id = (await existing())?.id;
			if (id === undefined) {
				try {
					id = await messages.createOne(body);
				} catch (error) {
					const winner = isDirectusError(error, 'RECORD_NOT_UNIQUE') ? await existing() : undefined;
					if (!winner) throw error;
					id = winner.id;
				}
			}
			const item = await messages.readOne(id, (req.sanitizedQuery ?? {}) as never);
			res.json({ data: item });
		} catch (error) {
			next(error);
		}
	};
}
