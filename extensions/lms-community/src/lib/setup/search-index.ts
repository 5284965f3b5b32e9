import type { Knex } from 'knex';

/**
 * Full-text search indexes, made by `directus community setup` (a snapshot cannot hold them) and kept up to
 * date by triggers in the database, so every write path (ItemsService, the chat send path, bulk SQL) is
 * indexed without the bundle's code on it.
 *
 * - PostgreSQL: side tables in a schema of their own (`community_search`), out of Directus's sight (it reads
 *   the `public` schema only): per row its group, the group's text-search configuration (`language`) and a
 *   `tsvector`, with a GIN index over (group, document) (btree_gin; document alone where that extension
 *   cannot be made) and a btree over (group, id). Deleting a post or message deletes its row (foreign key, cascade).
 * - SQLite: FTS5 tables over the same columns (external content: the text lives once, in the real table),
 *   in the main file. FTS5 keeps shadow tables beside them; SEARCH_INDEX_TABLES names them all, and the hook
 *   adds them to DB_EXCLUDE_TABLES so Directus's schema, the admin app and the collection count never see them.
 */

export const SEARCH_SCHEMA = 'community_search';

const FTS_TABLES = ['community_fts_posts', 'community_fts_messages'];
const FTS5_SHADOWS = ['data', 'idx', 'docsize', 'config'];

/** Every table the SQLite index consists of (the FTS5 tables and their shadow tables). */
export const SEARCH_INDEX_TABLES: readonly string[] = FTS_TABLES.flatMap((table) => [table, ...FTS5_SHADOWS.map((s) => `${table}_${s}`)]);

export const isPostgres = (knex: Knex): boolean => /^(pg|postgres|postgresql)$/.test(String(knex.client.config.client));

export async function ensureSearchIndexes(knex: Knex): Promise<string[]> {
	if (!(await knex.schema.hasTable('community_posts')) || !(await knex.schema.hasTable('community_messages'))) return [];
	return isPostgres(knex) ? ensurePostgresSearch(knex) : ensureSqliteSearch(knex);
}

/** A group's configuration: its `language` if PostgreSQL has a built-in configuration of that name, else `simple`. */
const CONFIG_OF_GROUP = `COALESCE((SELECT c.oid::regconfig FROM pg_catalog.pg_ts_config c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace AND n.nspname = 'pg_catalog'
		JOIN public.community_groups g ON g.language = c.cfgname WHERE g.id = %GROUP%), 'simple'::regconfig)`;

const POST_DOCUMENT = (cfg: string, row: string) =>
	`setweight(to_tsvector(${cfg}, coalesce(${row}.title, '')), 'A') || setweight(to_tsvector(${cfg}, coalesce(${row}.body, '')), 'B')`;
const MESSAGE_DOCUMENT = (cfg: string, row: string) => `to_tsvector(${cfg}, coalesce(${row}.body, ''))`;

async function ensurePostgresSearch(knex: Knex): Promise<string[]> {
	const s = SEARCH_SCHEMA;
	await knex.raw(`CREATE SCHEMA IF NOT EXISTS ${s}`);
	// btree_gin is a trusted extension (PostgreSQL 13+): a database owner may create it. Without it, GIN covers the text only.
	const combined = await knex
		.raw('CREATE EXTENSION IF NOT EXISTS btree_gin')
		.then(() => true)
		.catch(() => false);
	const made: string[] = [];
	for (const [kind, table, document] of [
		['posts', 'community_posts', POST_DOCUMENT],
		['messages', 'community_messages', MESSAGE_DOCUMENT],
	] as const) {
		const existed = (await knex.raw(`SELECT to_regclass('${s}.${kind}') AS t`)).rows[0].t !== null;
		await knex.raw(`CREATE TABLE IF NOT EXISTS ${s}.${kind} (
			id integer PRIMARY KEY REFERENCES public.${table}(id) ON DELETE CASCADE,
			"group" integer NOT NULL,
			language regconfig NOT NULL,
			document tsvector NOT NULL)`);
		const gin = combined ? `${kind}_group_document` : `${kind}_document`;
		// Without its pending list, every insert updates the index itself: with it, one insert in a few thousand
		// merged 4 MB of pending entries while the chat's group commit waited behind it (p99 from 60 ms to 1 s).
		await knex.raw(
			`CREATE INDEX IF NOT EXISTS ${gin} ON ${s}.${kind} USING GIN (${combined ? '"group", document' : 'document'}) WITH (fastupdate = off)`,
		);
		const options: string[] =
			(await knex.raw(`SELECT reloptions FROM pg_class WHERE oid = '${s}.${gin}'::regclass`)).rows[0]?.reloptions ?? [];
		// An index made before: the change takes an exclusive lock, so only once; its pending entries are merged now.
		if (!options.includes('fastupdate=off')) {
			await knex.raw(`ALTER INDEX ${s}.${gin} SET (fastupdate = off)`);
			await knex.raw(`SELECT gin_clean_pending_list('${s}.${gin}'::regclass)`);
		}
		// The newest matches of one group, walked backwards (community/search.ts ranks only those for a common word).
		await knex.raw(`CREATE INDEX IF NOT EXISTS ${kind}_group_id ON ${s}.${kind} ("group", id)`);
		await knex.raw(`CREATE OR REPLACE FUNCTION ${s}.index_${kind}() RETURNS trigger LANGUAGE plpgsql AS $$
			DECLARE cfg regconfig := ${CONFIG_OF_GROUP.replace('%GROUP%', 'NEW."group"')};
			BEGIN
				INSERT INTO ${s}.${kind} (id, "group", language, document) VALUES (NEW.id, NEW."group", cfg, ${document('cfg', 'NEW')})
				ON CONFLICT (id) DO UPDATE SET "group" = EXCLUDED."group", language = EXCLUDED.language, document = EXCLUDED.document;
				RETURN NULL;
			END $$`);
		const columns = kind === 'posts' ? 'title, body, "group"' : 'body, "group"';
		await knex.raw(`DROP TRIGGER IF EXISTS ${table}_search ON public.${table}`);
		await knex.raw(
			`CREATE TRIGGER ${table}_search AFTER INSERT OR UPDATE OF ${columns} ON public.${table} FOR EACH ROW EXECUTE FUNCTION ${s}.index_${kind}()`,
		);
		// Rows written before the index existed (or while its trigger was away).
		await knex.raw(`INSERT INTO ${s}.${kind} (id, "group", language, document)
			SELECT t.id, t."group", x.cfg, ${document('x.cfg', 't')}
			FROM public.${table} t CROSS JOIN LATERAL (SELECT ${CONFIG_OF_GROUP.replace('%GROUP%', 't."group"')} AS cfg) x
			WHERE NOT EXISTS (SELECT 1 FROM ${s}.${kind} i WHERE i.id = t.id)`);
		if (!existed) made.push(`${s}.${kind}`);
	}
	// A group that changes its language has its text indexed again in the new one.
	await knex.raw(`CREATE OR REPLACE FUNCTION ${s}.reindex_group() RETURNS trigger LANGUAGE plpgsql AS $$
		DECLARE cfg regconfig := ${CONFIG_OF_GROUP.replace('%GROUP%', 'NEW.id')};
		BEGIN
			UPDATE ${s}.posts i SET language = cfg, document = ${POST_DOCUMENT('cfg', 'p')} FROM public.community_posts p WHERE p.id = i.id AND i."group" = NEW.id;
			UPDATE ${s}.messages i SET language = cfg, document = ${MESSAGE_DOCUMENT('cfg', 'm')} FROM public.community_messages m WHERE m.id = i.id AND i."group" = NEW.id;
			RETURN NULL;
		END $$`);
	await knex.raw('DROP TRIGGER IF EXISTS community_groups_search_language ON public.community_groups');
	await knex.raw(`CREATE TRIGGER community_groups_search_language AFTER UPDATE OF language ON public.community_groups
		FOR EACH ROW WHEN (OLD.language IS DISTINCT FROM NEW.language) EXECUTE FUNCTION ${s}.reindex_group()`);
	return ['search: PostgreSQL full-text (community_search)', ...made];
}

async function ensureSqliteSearch(knex: Knex): Promise<string[]> {
	const made: string[] = [];
	for (const [fts, table, columns] of [
		['community_fts_posts', 'community_posts', ['title', 'body']],
		['community_fts_messages', 'community_messages', ['body']],
	] as const) {
		const triggers = [`${fts}_insert`, `${fts}_delete`, `${fts}_update`];
		const present: Array<{ name: string }> = await knex('sqlite_master')
			.select('name')
			.whereIn('name', [fts, ...triggers]);
		const complete = present.length === triggers.length + 1;
		const list = columns.join(', ');
		const values = (row: string) => columns.map((c) => `${row}.${c}`).join(', ');
		await knex.raw(
			`CREATE VIRTUAL TABLE IF NOT EXISTS ${fts} USING fts5(${list}, content='${table}', content_rowid='id', tokenize='unicode61 remove_diacritics 2')`,
		);
		await knex.raw(`CREATE TRIGGER IF NOT EXISTS ${fts}_insert AFTER INSERT ON ${table} BEGIN
			INSERT INTO ${fts}(rowid, ${list}) VALUES (new.id, ${values('new')}); END`);
		await knex.raw(`CREATE TRIGGER IF NOT EXISTS ${fts}_delete AFTER DELETE ON ${table} BEGIN
			INSERT INTO ${fts}(${fts}, rowid, ${list}) VALUES ('delete', old.id, ${values('old')}); END`);
		await knex.raw(`CREATE TRIGGER IF NOT EXISTS ${fts}_update AFTER UPDATE OF ${list} ON ${table} BEGIN
			INSERT INTO ${fts}(${fts}, rowid, ${list}) VALUES ('delete', old.id, ${values('old')});
			INSERT INTO ${fts}(rowid, ${list}) VALUES (new.id, ${values('new')}); END`);
		// New, or a trigger was lost (SQLite drops a table's triggers when a schema change rebuilds the table): index everything again.
		if (!complete) {
			await knex.raw(`INSERT INTO ${fts}(${fts}) VALUES ('rebuild')`);
			made.push(fts);
		}
	}
	return ['search: SQLite FTS5', ...made];
}
