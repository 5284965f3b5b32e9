/**
 * Snapshot files are written once, on one database vendor. Column details that only describe how a
 * vendor stores a type (`data_type`, precision, scale) differ on another vendor, and Directus's diff would
 * report them as changes on every run. Taking those details from the live column keeps the diff to the
 * changes that matter, so applying the same file twice is a no-op on SQLite and PostgreSQL alike.
 */

export interface SnapshotField {
	collection: string;
	field: string;
	type: string;
	schema?: Record<string, unknown> | null;
	meta?: Record<string, unknown> | null;
}

export interface Snapshot {
	version: number;
	directus: string;
	vendor?: string;
	collections: Array<{ collection: string; meta?: unknown; schema?: unknown }>;
	fields: SnapshotField[];
	systemFields?: unknown[];
	relations: Array<{
		collection: string;
		field: string;
		related_collection: string | null;
		schema?: Record<string, unknown> | null;
		meta?: unknown;
	}>;
}

const VENDOR_COLUMN_KEYS = ['data_type', 'numeric_precision', 'numeric_scale', 'max_length'] as const;
const VENDOR_RELATION_KEYS = ['constraint_name', 'on_update', 'foreign_key_schema'] as const;

function copyKeys(target: Record<string, unknown>, source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
	const out = { ...target };
	for (const key of keys) if (key in source) out[key] = source[key];
	return out;
}

/**
 * A uuid column (a foreign key to directus_users, say) reads back as `uuid` on PostgreSQL but as a
 * 36-character `string` on SQLite, which has no uuid type.
 */
function isUuidColumn(field: SnapshotField): boolean {
	if (field.type === 'uuid') return true;
	return field.type === 'string' && field.schema?.['max_length'] === 36 && field.schema?.['foreign_key_table'] === 'directus_users';
}

/**
 * SQLite has no timestamp type: a `timestamp` column added to an existing table (or created with a new one)
 * reads back as `dateTime`. Both hold the same value, so the live type stands.
 */
function isSqliteTimestamp(field: SnapshotField, live: SnapshotField): boolean {
	return field.type === 'timestamp' && live.type === 'dateTime' && live.schema?.['data_type'] === 'datetime';
}

/** The desired snapshot, with vendor-only column and constraint details taken from `current` where the item exists. */
export function alignSnapshotToVendor(desired: Snapshot, current: Snapshot): Snapshot {
	const currentFields = new Map(current.fields.map((f) => [`${f.collection}.${f.field}`, f]));
	const currentRelations = new Map(current.relations.map((r) => [`${r.collection}.${r.field}`, r]));

	const fields = desired.fields.map((field) => {
		const live = currentFields.get(`${field.collection}.${field.field}`);
		if (!field.schema || !live?.schema) return field;
		if (isUuidColumn(field) && isUuidColumn(live)) {
			return { ...field, type: live.type, schema: copyKeys(field.schema, live.schema, VENDOR_COLUMN_KEYS) };
		}
		if (isSqliteTimestamp(field, live))
			return { ...field, type: live.type, schema: copyKeys(field.schema, live.schema, VENDOR_COLUMN_KEYS) };
		if (live.type !== field.type) return field;
		const keys = field.type === 'string' ? VENDOR_COLUMN_KEYS.filter((k) => k !== 'max_length') : VENDOR_COLUMN_KEYS;
		return { ...field, schema: copyKeys(field.schema, live.schema, keys) };
	});

	const relations = desired.relations.map((relation) => {
		const live = currentRelations.get(`${relation.collection}.${relation.field}`);
		if (!relation.schema || !live?.schema) return relation;
		return { ...relation, schema: copyKeys(relation.schema, live.schema, VENDOR_RELATION_KEYS) };
	});

	return { ...desired, vendor: current.vendor, fields, relations };
}
