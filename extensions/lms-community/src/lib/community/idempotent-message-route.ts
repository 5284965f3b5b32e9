import type { Accountability, SchemaOverview } from '@directus/types';
import type { NextFunction, Request, Response } from 'express';
import type { CommunityContext } from './context.js';
import { sendMessage } from './send-message.js';

type DirectusRequest = Request & { accountability?: Accountability; schema?: SchemaOverview; sanitizedQuery?: Record<string, unknown> };

/**
 * POST /items/community_messages with a `client_id`, ahead of Directus's own route, so that a retry answers
 * with the first message instead of writing a second row (see sendMessage). Everything else about the create
 * is Directus's ItemsService with the caller's accountability; the answer is read back the same way.
 */
export function idempotentMessageCreate(context: CommunityContext) {
	return async (req: DirectusRequest, res: Response, next: NextFunction) => {
		const body = req.body as Record<string, unknown> | undefined;
		if (
			!body ||
			Array.isArray(body) ||
			typeof body !== 'object' ||
			typeof body['client_id'] !== 'string' ||
			!req.accountability?.user ||
			!req.schema
		) {
			return next();
		}
		try {
			const { id } = await sendMessage(context, req.accountability, req.schema, body);
			const messages = new context.services.ItemsService('community_messages', { schema: req.schema, accountability: req.accountability });
			res.json({ data: await messages.readOne(id, (req.sanitizedQuery ?? {}) as never) });
		} catch (error) {
			next(error);
		}
	};
}
