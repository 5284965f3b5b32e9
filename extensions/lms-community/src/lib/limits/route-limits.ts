import type { Accountability } from '@directus/types';
import type { NextFunction, Request, Response } from 'express';
import type { WriteKind, WriteLimits } from './write-limits.js';

/**
 * The bundle's own endpoints that write, with the budget each spends. Writes through Directus's items
 * (messages, posts, edits, reports, over REST, GraphQL or imports) are limited in their filter hooks instead.
 */
// Case-insensitive and with an optional trailing slash: Express routes `/Community/…/` to the same endpoint.
const COMMUNITY_WRITE_ROUTES: Array<{ method: string; path: RegExp; kind: WriteKind }> = [
	{ method: 'POST', path: /^\/community\/groups\/[^/]+\/(join|leave)\/?$/i, kind: 'join' },
	{ method: 'POST', path: /^\/community\/groups\/[^/]+\/(read|unread)\/?$/i, kind: 'read' },
	{ method: 'POST', path: /^\/community\/notifications\/read\/?$/i, kind: 'read' },
	{ method: 'POST', path: /^\/community\/posts\/[^/]+\/view\/?$/i, kind: 'read' },
	{ method: 'POST', path: /^\/community\/posts\/[^/]+\/reactions\/?$/i, kind: 'reaction' },
	{ method: 'DELETE', path: /^\/community\/posts\/[^/]+\/reactions(\/.*)?$/i, kind: 'reaction' },
	{ method: 'POST', path: /^\/community\/reports\/?$/i, kind: 'report' },
];

export function writeKindOfRoute(method: string, path: string): WriteKind | null {
	return COMMUNITY_WRITE_ROUTES.find((route) => route.method === method && route.path.test(path))?.kind ?? null;
}

/** Express middleware: spends the caller's budget before a /community write runs (admins are not limited). */
export function limitCommunityWrites(limits: WriteLimits) {
	return (req: Request & { accountability?: Accountability }, _res: Response, next: NextFunction) => {
		const user = req.accountability?.user;
		const kind = writeKindOfRoute(req.method, req.path);
		if (!user || !kind || req.accountability?.admin === true) return next();
		limits.consume(kind, user).then(() => next(), next);
	};
}
