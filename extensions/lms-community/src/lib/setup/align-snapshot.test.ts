import { describe, expect, it } from 'vitest';
import { alignSnapshotToVendor, type Snapshot, type SnapshotField } from './align-snapshot.js';

const base = { version: 2, directus: '12.4.0', collections: [], systemFields: [] };

describe('alignSnapshotToVendor', () => {
	it('takes vendor column details and uuid typing from the live database, keeping the rest as written', () => {
		const desired: Snapshot = {
			...base,
			vendor: 'sqlite',
			fields: [
				{ collection: 'c', field: 'n', type: 'integer', schema: { data_type: 'integer', numeric_precision: null, default_value: 0 } },
				{
					collection: 'c',
					field: 'user',
					type: 'string',
					schema: { data_type: 'char', max_length: 36, foreign_key_table: 'directus_users' },
				},
				{ collection: 'c', field: 'title', type: 'string', schema: { data_type: 'varchar', max_length: 255 } },
				{ collection: 'c', field: 'new', type: 'string', schema: { data_type: 'varchar', max_length: 10 } },
			],
			relations: [
				{ collection: 'c', field: 'user', related_collection: 'directus_users', schema: { constraint_name: null, on_delete: 'CASCADE' } },
			],
		};
		const current: Snapshot = {
			...base,
			vendor: 'postgres',
			fields: [
				{ collection: 'c', field: 'n', type: 'integer', schema: { data_type: 'integer', numeric_precision: 32, default_value: 1 } },
				{
					collection: 'c',
					field: 'user',
					type: 'uuid',
					schema: { data_type: 'uuid', max_length: null, foreign_key_table: 'directus_users' },
				},
				{ collection: 'c', field: 'title', type: 'string', schema: { data_type: 'character varying', max_length: 100 } },
			],
			relations: [
				{
					collection: 'c',
					field: 'user',
					related_collection: 'directus_users',
					schema: { constraint_name: 'c_user_foreign', on_delete: 'NO ACTION' },
				},
			],
		};
		const aligned = alignSnapshotToVendor(desired, current);
		expect(aligned.vendor).toBe('postgres');
		expect(aligned.fields).toEqual([
			{ collection: 'c', field: 'n', type: 'integer', schema: { data_type: 'integer', numeric_precision: 32, default_value: 0 } },
			{
				collection: 'c',
				field: 'user',
				type: 'uuid',
				schema: { data_type: 'uuid', max_length: null, foreign_key_table: 'directus_users' },
			},
			// A string's length is ours to set, not the vendor's.
			{ collection: 'c', field: 'title', type: 'string', schema: { data_type: 'character varying', max_length: 255 } },
			{ collection: 'c', field: 'new', type: 'string', schema: { data_type: 'varchar', max_length: 10 } },
		]);
		expect(aligned.relations[0]!.schema).toEqual({ constraint_name: 'c_user_foreign', on_delete: 'CASCADE' });
	});

	it("takes SQLite's dateTime for a timestamp column: the same value, another name", () => {
		const field = { collection: 'c', field: 'at', type: 'timestamp', schema: { data_type: 'timestamp', is_nullable: true } };
		const live = { collection: 'c', field: 'at', type: 'dateTime', schema: { data_type: 'datetime', is_nullable: true } };
		const snapshot = (fields: SnapshotField[]): Snapshot => ({ version: 2, directus: '12.4.0', collections: [], fields, relations: [] });
		const aligned = alignSnapshotToVendor(snapshot([field]), { ...snapshot([live]), vendor: 'sqlite' });
		expect(aligned.fields[0]).toEqual({ ...field, type: 'dateTime', schema: { data_type: 'datetime', is_nullable: true } });
	});
});
