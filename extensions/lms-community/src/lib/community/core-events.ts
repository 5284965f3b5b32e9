import type { Accountability, SchemaOverview } from '@directus/types';
import type { Knex } from 'knex';

/**
 * What Directus's ItemsService does after a create, for rows the bundle writes itself (the socket's send
 * path): the `items.create` action on Directus's own emitter, so Flows and other extensions' hooks see chat
 * messages and mention notifications as before; and, with CACHE_AUTO_PURGE, the data cache cleared.
 *
 * Extensions are handed a local emitter, not the core one: the core emitter and cache come from
 * `@directus/api`, resolved at run time beside the Directus that loads the bundle (never bundled). Where that
 * fails (an unusual install), the bundle's own handlers still run and a warning says that Flows miss these rows.
 */

/** Marks actions the bundle announced itself: its own handlers already broadcast and notified for these rows. */
export const ANNOUNCED_BY_COMMUNITY = 'community-send-path';

interface CoreEmitter {
	emitAction(event: string | string[], meta: Record<string, unknown>, context: Record<string, unknown> | null): void;
}
interface CoreCache {
	getCache(): { cache: { clear(): Promise<void> } | null };
}

export interface CreatedRows {
	collection: string;
	rows: Array<{ key: number | string; payload: Record<string, unknown> }>;
	accountability: Accountability | null;
}

export interface CoreAnnouncer {
	/** Announces committed rows; failures are logged, never thrown (the write is done). */
	created(rows: CreatedRows): void;
}

export interface AnnouncerDeps {
	env: Record<string, unknown>;
	knex: Knex;
	getSchema(): Promise<SchemaOverview>;
	logger: { warn(error: unknown, message?: string): void };
	/** Loads a module of Directus's API by name (tests pass their own). */
	importDirectus?: (name: 'emitter' | 'cache') => Promise<unknown>;
}

const importFromDirectus = (name: 'emitter' | 'cache'): Promise<unknown> => {
	// A variable specifier: the bundler leaves it to Node, which resolves it from Directus's node_modules.
	const specifier = `@directus/api/${name}`;
	return import(specifier);
};

export async function loadCoreAnnouncer(deps: AnnouncerDeps): Promise<CoreAnnouncer> {
	const load = deps.importDirectus ?? importFromDirectus;
	let emitter: CoreEmitter | null = null;
	let cache: CoreCache | null = null;
	try {
		emitter = ((await load('emitter')) as { default: CoreEmitter }).default;
		cache = (await load('cache')) as CoreCache;
	} catch (error) {
		deps.logger.warn(error, 'community: Directus emitter not found: Flows will not see messages sent over the socket');
	}
	const purge = String(deps.env['CACHE_ENABLED']) === 'true' && String(deps.env['CACHE_AUTO_PURGE']) === 'true';
	return {
		created({ collection, rows, accountability }) {
			if (rows.length === 0) return;
			void (async () => {
				if (purge) await cache?.getCache().cache?.clear();
				if (!emitter) return;
				const schema = await deps.getSchema();
				for (const { key, payload } of rows)
					emitter.emitAction(
						['items.create', `${collection}.items.create`],
						{ payload, key, collection, origin: ANNOUNCED_BY_COMMUNITY },
						{ database: deps.knex, schema, accountability },
					);
			})().catch((error) => deps.logger.warn(error, `community: announcing ${collection} rows`));
		},
	};
}
