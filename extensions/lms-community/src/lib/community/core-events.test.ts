import type { Knex } from 'knex';
import { describe, expect, it } from 'vitest';
import { ANNOUNCED_BY_COMMUNITY, loadCoreAnnouncer } from './core-events.js';

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function fakes(env: Record<string, unknown> = {}) {
	const emitted: Array<{ event: unknown; meta: Record<string, unknown> }> = [];
	const cleared: number[] = [];
	const warnings: string[] = [];
	const importDirectus = async (name: 'emitter' | 'cache') =>
		name === 'emitter'
			? { default: { emitAction: (event: unknown, meta: Record<string, unknown>) => void emitted.push({ event, meta }) } }
			: { getCache: () => ({ cache: { clear: async () => void cleared.push(1) } }) };
	const deps = {
		env,
		knex: {} as Knex,
		getSchema: async () => ({ collections: {}, relations: [] }) as never,
		logger: { warn: (_error: unknown, message?: string) => void warnings.push(String(message)) },
		importDirectus,
	};
	return { deps, emitted, cleared, warnings };
}

describe('the core announcer', () => {
	it("emits items.create on Directus's emitter for each row, marked as the bundle's own", async () => {
		const { deps, emitted, cleared } = fakes();
		const announcer = await loadCoreAnnouncer(deps);
		announcer.created({ collection: 'community_messages', rows: [{ key: 7, payload: { body: 'hi' } }], accountability: null });
		await flush();
		expect(emitted).toEqual([
			{
				event: ['items.create', 'community_messages.items.create'],
				meta: { payload: { body: 'hi' }, key: 7, collection: 'community_messages', origin: ANNOUNCED_BY_COMMUNITY },
			},
		]);
		expect(cleared).toEqual([]);
	});

	it('clears the data cache as ItemsService would, only with CACHE_ENABLED and CACHE_AUTO_PURGE', async () => {
		const { deps, cleared } = fakes({ CACHE_ENABLED: true, CACHE_AUTO_PURGE: true });
		const announcer = await loadCoreAnnouncer(deps);
		announcer.created({ collection: 'community_messages', rows: [{ key: 1, payload: {} }], accountability: null });
		announcer.created({ collection: 'community_notifications', rows: [], accountability: null });
		await flush();
		expect(cleared).toEqual([1]);
	});

	it("warns once when Directus's emitter cannot be loaded, and announces nothing", async () => {
		const { deps, emitted, warnings } = fakes();
		const announcer = await loadCoreAnnouncer({ ...deps, importDirectus: async () => Promise.reject(new Error('not found')) });
		announcer.created({ collection: 'community_messages', rows: [{ key: 1, payload: {} }], accountability: null });
		await flush();
		expect(emitted).toEqual([]);
		expect(warnings).toHaveLength(1);
	});
});
