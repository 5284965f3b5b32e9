import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { dropChangeCursorTriggers, ensureChangeCursor } from './change-cursor.js';

/** Directus's routes that change the schema (and so may make SQLite rebuild a table). */
const SCHEMA_ROUTE = /^\/(fields|relations|collections|schema\/apply)(\/|$)/;

/**
 * On SQLite, the change cursor's triggers step aside while the admin app (or anyone with the schema routes) changes
 * the schema, and come back when the request is over, whatever its outcome (setup/change-cursor.ts says why).
 * Changes to chat made during that request are not numbered: a schema change is an admin's maintenance moment.
 */
export function stepAsideForSchemaChanges(knex: Knex, background: (label: string, work: Promise<unknown>) => void): RequestHandler {
	return (req: Request, res: Response, next: NextFunction) => {
		if (req.method === 'GET' || req.method === 'SEARCH' || !SCHEMA_ROUTE.test(req.path)) return next();
		res.once('close', () => background('change cursor after a schema change', ensureChangeCursor(knex)));
		dropChangeCursorTriggers(knex).then(() => next(), next);
	};
}
