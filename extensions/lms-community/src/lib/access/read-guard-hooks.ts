import type { Accountability, Query, SchemaOverview } from '@directus/types';
import type { Knex } from 'knex';
import { ForbiddenError } from '../errors/index.js';
import { loadAccessScope } from './load-scope.js';
import { guardReadQuery, guardUsersQuery } from './query-guard.js';

interface GuardContext {
	database: Knex;
	schema: SchemaOverview | null;
	accountability: Accountability | null;
}

/** Admins and the system (no accountability) are not scoped: `null`. Anonymous callers: `''`. */
function scopedUser(accountability: Accountability | null): string | null {
	if (!accountability || accountability.admin) return null;
	return accountability.user ?? '';
}

/** `items.query` filter: scope every read of a collection to what the caller may see. */
export async function handleItemsQuery(query: Query, collection: string, context: GuardContext): Promise<Query> {
	const userId = scopedUser(context.accountability);
	if (userId === null || !context.schema) return query;
	// Community content belongs to people; an anonymous caller has none, whatever the public policy says.
	if (userId === '') throw new ForbiddenError();
	const scope = await loadAccessScope(context.database, userId);
	return guardReadQuery(collection, query, scope, context.schema);
}

/**
 * `users.query` filter: people without admin-app access (students on the mobile app) see other people's
 * public profile only. Admin-app users keep what their Directus permissions give them.
 */
export function handleUsersQuery(query: Query, context: GuardContext): Query {
	const userId = scopedUser(context.accountability);
	if (userId === null || userId === '' || context.accountability?.app) return query;
	return guardUsersQuery(query, userId);
}
