import type { Accountability, Query, SchemaOverview } from '@directus/types';
import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import { ForbiddenError, QueryNotAllowedError } from '../errors/index.js';
import { createAccessContext, rememberAccessContext, type AccessContext } from './access-context.js';
import { checkReadQuery, OWN_RECORD } from './query-check.js';
import { scopeReadQuery, andFilters } from './query-scope.js';
import { isGuardedCollection } from './read-policy.js';
import { decideRoute } from './route-policy.js';
import { usersReadFilter } from './row-filters.js';
import { isValidKey } from './keys.js';

type GuardedRequest = Request & { accountability?: Accountability; sanitizedQuery?: Query; schema?: SchemaOverview };

export interface RequestGuardOptions {
	database: Knex;
	limitMax: number;
	/** Checks that the caller may read one row (the row filter applied); throws FORBIDDEN when not. */
	assertVisible(collection: string, id: string, accountability: Accountability, schema: SchemaOverview): Promise<void>;
}

/**
 * Queries this guard already checked and scoped, with the collection they were scoped for: the hooks of the
 * same request pass such a query as it is only when it reaches that very collection.
 */
export const preparedQueries = new WeakMap<object, string>();

/**
 * The HTTP entry point of the read policy, for every caller who is not an admin: decides the route
 * (route-policy.ts), checks the query Directus parsed (query-check.ts), and for listings puts the scoped
 * query in place of Directus's own, because Directus counts `meta` from `req.sanitizedQuery`, outside the
 * `items.query` hook. The caller's scope is loaded once and shared with the hooks of the request.
 */
export function createRequestGuard(options: RequestGuardOptions) {
	return async (req: GuardedRequest, res: Response, next: NextFunction) => {
		const accountability = req.accountability;
		const schema = req.schema;
		if (!accountability || accountability.admin === true || !schema) return next();
		try {
			const decision = decideRoute(req.method, req.path, req.body);
			if (decision.kind === 'open') return next();
			if (decision.kind === 'refuse') throw new QueryNotAllowedError({ reason: decision.reason });
			const query = req.sanitizedQuery ?? {};
			const user = accountability.user;
			let access: AccessContext | null = null;
			if (user) {
				access = createAccessContext(options.database, { ...accountability, user });
				res.once('close', rememberAccessContext(accountability, access));
			}
			const check = (collection: string, q: Query) =>
				checkReadQuery(collection, q, { schema, limitMax: options.limitMax, profileFields: access?.profileFields ?? [] });

			switch (decision.kind) {
				case 'system':
					check(decision.collection, query);
					return next();
				case 'item-permissions':
					if (!user || !isValidKey(schema, decision.collection, decision.id)) throw new ForbiddenError();
					await options.assertVisible(decision.collection, decision.id, accountability, schema);
					return next();
				case 'items': {
					const { collection, id } = decision;
					if (!access) {
						check(collection, query);
						return next();
					}
					if (id !== null && !isValidKey(schema, collection, id)) throw new ForbiddenError();
					const checked = check(collection, query);
					if (id === null && req.method === 'GET' && isGuardedCollection(collection))
						prepare(req, collection, scopeReadQuery(collection, checked, await access.scope()));
					return next();
				}
				case 'users': {
					if (decision.id === 'me') {
						check(OWN_RECORD, query);
						return next();
					}
					if (!access) throw new ForbiddenError();
					if (decision.id !== null && !isValidKey(schema, 'directus_users', decision.id)) throw new ForbiddenError();
					const checked = check('directus_users', query);
					if (decision.id === null && req.method === 'GET') {
						const filter = andFilters(
							(checked.filter as Record<string, unknown>) ?? null,
							usersReadFilter(access.userId, await access.coMemberIds()),
						);
						prepare(req, 'directus_users', { ...checked, filter: filter as Query['filter'] });
					}
					return next();
				}
			}
		} catch (error) {
			return next(error);
		}
	};
}

function prepare(req: GuardedRequest, collection: string, query: Query): void {
	const frozen = Object.freeze(query);
	preparedQueries.set(frozen, collection);
	req.sanitizedQuery = frozen;
}
