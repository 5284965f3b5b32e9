import type { SchemaOverview } from '@directus/types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER_MAX = 2_147_483_647;

/**
 * Whether a primary key from a URL fits its column. Directus lets `1e20` through to an integer column, and
 * PostgreSQL answers that with an error (a 500); a key that cannot exist is answered like a missing row.
 */
export function isValidKey(schema: SchemaOverview, collection: string, key: string): boolean {
	const info = schema.collections[collection];
	const type = info?.fields[info.primary]?.type;
	if (type === 'uuid') return UUID.test(key);
	if (type === 'integer' || type === 'bigInteger') return /^\d{1,10}$/.test(key) && Number(key) >= 1 && Number(key) <= INTEGER_MAX;
	return key.length > 0 && key.length <= 255;
}
