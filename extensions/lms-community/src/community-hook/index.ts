import { defineHook } from '@directus/extensions-sdk';
import type { Query } from '@directus/types';
import { handleItemsQuery, handleUsersQuery } from '../lib/access/read-guard-hooks.js';
import { isScopedCollection } from '../lib/access/row-filters.js';
import { registerCommunityCli } from '../lib/setup/cli.js';

export default defineHook(({ init, filter }, context) => {
	init('cli.before', ({ program }) => {
		registerCommunityCli(program, context, { snapshotsDir: context.env['COMMUNITY_SNAPSHOTS_PATH'] ?? './snapshots' });
	});

	filter<Query>('items.query', (query, { collection }, eventContext) =>
		isScopedCollection(collection) ? handleItemsQuery(query, collection, eventContext) : query,
	);
	filter<Query>('users.query', (query, _meta, eventContext) => handleUsersQuery(query, eventContext));
});
