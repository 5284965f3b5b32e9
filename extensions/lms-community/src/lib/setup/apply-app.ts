import type { SetupContext } from './context.js';

export const COMMUNITY_MODULE_ID = 'community-moderation';

/**
 * Directus's own module bar when no admin has changed it (the app's default, as of Directus 12.4). Custom
 * modules show only when the module bar lists them, so the setup adds ours to this list.
 */
const DEFAULT_MODULE_BAR: ModuleBarEntry[] = [
	{ type: 'module', id: 'content', enabled: true },
	{ type: 'module', id: 'visual', enabled: false },
	{ type: 'module', id: 'users', enabled: true },
	{ type: 'module', id: 'files', enabled: true },
	{ type: 'module', id: 'insights', enabled: true },
	{ type: 'module', id: 'flows', enabled: true },
	{ type: 'module', id: 'deployments', enabled: false },
	{ type: 'link', id: 'docs', enabled: true, name: '$t:documentation', icon: 'help', url: 'https://directus.com/docs' },
	{ type: 'module', id: 'settings', enabled: true, locked: true },
];

export interface ModuleBarEntry {
	type: 'module' | 'link';
	id: string;
	enabled: boolean;
	[key: string]: unknown;
}

/**
 * The module bar with the Community module in it, right after Content; an admin who moved or switched it
 * off keeps their choice (null: nothing to change).
 */
export function moduleBarWithCommunity(current: ModuleBarEntry[] | null): ModuleBarEntry[] | null {
	const bar = current ?? DEFAULT_MODULE_BAR;
	if (bar.some((entry) => entry.type === 'module' && entry.id === COMMUNITY_MODULE_ID)) return null;
	const content = bar.findIndex((entry) => entry.id === 'content');
	const next = [...bar];
	next.splice(content + 1, 0, { type: 'module', id: COMMUNITY_MODULE_ID, enabled: true });
	return next;
}

/** A bookmark every app user sees on the posts collection: what waits for approval, oldest first. */
export const PENDING_POSTS_BOOKMARK = {
	bookmark: 'Pending posts',
	collection: 'community_posts',
	role: null,
	user: null,
	icon: 'pending_actions',
	layout: 'tabular',
	layout_query: { tabular: { sort: ['date_created'], fields: ['title', 'author', 'group', 'status', 'date_created'] } },
	filter: { _and: [{ status: { _eq: 'pending' } }] },
};

interface SingletonService {
	readSingleton(query: Record<string, unknown>): Promise<Record<string, unknown>>;
	upsertSingleton(data: Record<string, unknown>): Promise<unknown>;
}
interface RowService {
	readByQuery(query: Record<string, unknown>): Promise<Array<Record<string, unknown>>>;
	createOne(data: Record<string, unknown>): Promise<string | number>;
}

/** The admin app's side of the setup, as the system: the Community module in the module bar, and the bookmark. */
export async function applyAppAsSystem(ctx: SetupContext): Promise<string[]> {
	const schema = await ctx.getSchema({ database: ctx.database });
	const asSystem = { knex: ctx.database, schema, accountability: null };
	const settings = new ctx.services.SettingsService(asSystem) as unknown as SingletonService;
	const presets = new ctx.services.PresetsService(asSystem) as unknown as RowService;
	const changed: string[] = [];

	const { module_bar } = await settings.readSingleton({ fields: ['module_bar'] });
	const bar = moduleBarWithCommunity((module_bar as ModuleBarEntry[] | null) ?? null);
	if (bar) {
		await settings.upsertSingleton({ module_bar: bar });
		changed.push('module bar: Community');
	}

	const [bookmark] = await presets.readByQuery({
		filter: {
			bookmark: { _eq: PENDING_POSTS_BOOKMARK.bookmark },
			collection: { _eq: PENDING_POSTS_BOOKMARK.collection },
			user: { _null: true },
			role: { _null: true },
		},
		limit: 1,
	});
	if (!bookmark) {
		await presets.createOne(PENDING_POSTS_BOOKMARK);
		changed.push(`bookmark: ${PENDING_POSTS_BOOKMARK.bookmark}`);
	}
	return changed;
}
