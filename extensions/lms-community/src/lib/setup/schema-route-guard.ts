import type { Accountability } from '@directus/types';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { dropChangeCursorTriggers, ensureChangeCursor } from './change-cursor.js';

/**
 * Directus's routes that change the schema (and so may make SQLite rebuild a table), including GraphQL's system
 * endpoint, whose mutations reach the same services. Express matches routes case-insensitively: so does this.
 */
const SCHEMA_ROUTE = /^\/(fields|relations|collections|schema\/apply|graphql\/system)(\/|$)/i;

export interface SchemaRouteGuard {
	middleware: RequestHandler;
	/** Puts the triggers back, unless an admin's schema request is still running (its end will). */
	restoreWhenIdle(): Promise<unknown>;
}

/**
 * On SQLite, the change cursor's triggers step aside while an admin changes the schema (the admin app, the schema
 * routes), and come back when the last such request is over, whatever its outcome (setup/change-cursor.ts says why).
 * Only admins may change the schema: anyone else's request is left to Directus to refuse, triggers in place.
 * Changes to chat made during that request are not numbered: a schema change is an admin's maintenance moment.
 * Drops and restores run one after another, and a restore waits for every overlapping schema request to end.
 */
export function stepAsideForSchemaChanges(knex: Knex, background: (label: string, work: Promise<unknown>) => void): SchemaRouteGuard {
	let open = 0;
	let queue: Promise<unknown> = Promise.resolve();
	const inTurn = (work: () => Promise<unknown>) => (queue = queue.then(work, work));
	const restoreWhenIdle = () => inTurn(() => (open === 0 ? ensureChangeCursor(knex) : Promise.resolve()));
	const middleware = (req: Request & { accountability?: Accountability | null }, res: Response, next: NextFunction) => {
		if (req.method === 'GET' || req.method === 'SEARCH' || !SCHEMA_ROUTE.test(req.path)) return next();
		if (req.accountability?.admin !== true) return next();
		open++;
		res.once('close', () => {
			open--;
			background('change cursor after a schema change', restoreWhenIdle());
		});
		inTurn(() => dropChangeCursorTriggers(knex)).then(() => next(), next);
	};
	return { middleware, restoreWhenIdle };
}
