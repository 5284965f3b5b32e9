import type { Accountability, Query, SchemaOverview } from '@directus/types';
import type { Knex } from 'knex';
import { ForbiddenError } from '../errors/index.js';
import { accessContextFor, type AccessContext } from './access-context.js';
import { checkReadQuery, OWN_RECORD } from './query-check.js';
import { andFilters, scopeReadQuery } from './query-scope.js';
import { isGuardedCollection } from './read-policy.js';
import { hideInvisibleRelations, hideProfileFields, type VisibleIds } from './relation-visibility.js';
import { preparedQueries } from './request-guard.js';
import { isScopedCollection, readFilterFor, usersReadFilter, type Filter } from './row-filters.js';

interface HookContext {
	database: Knex;
	schema: SchemaOverview | null;
	accountability: Accountability | null;
}

export interface ReadGuardOptions {
	limitMax: number;
	/** Reads rows as the system (no permissions, no hooks): used to test which related rows a caller may see. */
	readAsSystem(collection: string, query: Query, schema: SchemaOverview, knex: Knex): Promise<Array<Record<string, unknown>>>;
}

type Caller = { accountability: Accountability & { user: string }; access: AccessContext; schema: SchemaOverview };

/** Admins and the system (no accountability) are outside the policy: `null`. Anonymous callers read nothing guarded. */
function callerOf(context: HookContext): Caller | null {
	const { accountability, schema } = context;
	if (!accountability || accountability.admin === true || !schema) return null;
	const user = accountability.user;
	if (!user) throw new ForbiddenError();
	const withUser = { ...accountability, user };
	return { accountability: withUser, access: accessContextFor(context.database, accountability as typeof withUser), schema };
}

/**
 * The hook side of the read policy, for every path that reaches Directus's ItemsService (REST, exports,
 * Directus's realtime, our own endpoints): check the query, scope it, and blank what it may not return.
 */
export function createReadGuardHooks(options: ReadGuardOptions) {
	const check = (collection: string, query: Query, caller: Caller) =>
		checkReadQuery(collection, query, { schema: caller.schema, limitMax: options.limitMax, profileFields: caller.access.profileFields });

	return {
		/** `items.query`: guarded collections are checked and scoped; others only for paths into guarded ones. */
		async itemsQuery(query: Query, collection: string, context: HookContext): Promise<Query> {
			if (!context.accountability || context.accountability.admin === true) return query;
			if (!isGuardedCollection(collection)) {
				if (context.schema) checkReadQuery(collection, query, { schema: context.schema, limitMax: options.limitMax, profileFields: [] });
				return query;
			}
			const caller = callerOf(context);
			if (!caller || preparedQueries.get(query) === collection) return query;
			return scopeReadQuery(collection, check(collection, query, caller), await caller.access.scope());
		},

		/** `users.query`: the caller's own record as Directus's permissions give it; other people by the profile policy. */
		async usersQuery(query: Query, context: HookContext): Promise<Query> {
			if (!context.accountability || context.accountability.admin === true) return query;
			const caller = callerOf(context);
			if (!caller || preparedQueries.get(query) === 'directus_users') return query;
			if (isOwnRecordQuery(query.filter as Filter | undefined, caller.access.userId)) return check(OWN_RECORD, query, caller);
			const checked = check('directus_users', query, caller);
			const scope = usersReadFilter(caller.access.userId, await caller.access.coMemberIds());
			return { ...checked, filter: andFilters((checked.filter as Filter) ?? null, scope) as Query['filter'] };
		},

		/** `items.read`: many-to-one expansions into rows the caller may not see become null; e-mails are blanked. */
		async itemsRead(records: unknown, collection: string, query: Query, context: HookContext): Promise<unknown> {
			if (!isGuardedCollection(collection) || !context.accountability || context.accountability.admin === true) return records;
			const caller = callerOf(context);
			if (!caller || !Array.isArray(records)) return records;
			const scope = await caller.access.scope();
			const visibleIds: VisibleIds = async (target, ids) => {
				if (!isScopedCollection(target) || ids.length === 0) return new Set();
				const filter = { _and: [{ id: { _in: [...new Set(ids)] } }, readFilterFor(target, scope)] };
				const rows = await options.readAsSystem(
					target,
					{ filter: filter as Query['filter'], fields: ['id'], limit: -1 },
					caller.schema,
					context.database,
				);
				return new Set(rows.map((row) => String(row['id'])));
			};
			await hideInvisibleRelations(collection, records, query, caller.access, visibleIds);
			return records;
		},

		/** `users.read`: other people's e-mail only for the instructor who teaches them. */
		async usersRead(records: unknown, context: HookContext): Promise<unknown> {
			if (!context.accountability || context.accountability.admin === true) return records;
			const caller = callerOf(context);
			if (caller && Array.isArray(records)) await hideProfileFields(records, caller.access);
			return records;
		},
	};
}

function isOwnRecordQuery(filter: Filter | undefined, userId: string): boolean {
	if (!filter) return false;
	const keys = Object.keys(filter);
	const id = filter['id'] as Filter | undefined;
	return keys.length === 1 && !!id && Object.keys(id).length === 1 && id['_eq'] === userId;
}
