import type { Knex } from 'knex';
import { loadAccessScope } from '../access/load-scope.js';
import { searchLanguage } from '../domain/course-rules.js';
import {
	decodeCursor,
	encodeCursor,
	fts5Match,
	isEmptySearch,
	MATCH_END,
	MATCH_START,
	parseSearchTerms,
	snippetHtml,
	websearchText,
	MAX_CURSOR_FLOORS,
	type GroupFloor,
	type SearchCursor,
	type SearchTerms,
} from '../domain/search-query.js';
import { InvalidPayloadError } from '../errors/index.js';
import type { SignedInCaller } from '../rules/caller.js';
import { assertCanRead } from '../rules/facts.js';
import type { SearchQuery } from '../rules/schemas.js';
import { loadVisibleGroup } from '../rules/visibility.js';
import { isPostgres, SEARCH_SCHEMA } from '../setup/search-index.js';
import type { CommunityContext } from './context.js';

export interface SearchHit {
	type: 'post' | 'message';
	id: number;
	group: number;
	/** Posts: the thread a reply belongs to (null for thread starters). */
	parent?: number | null;
	title?: string | null;
	/** Messages: the sync cursor, for opening the hit in context (/groups/:id/messages/around/:id). */
	seq?: number;
	author: string | null;
	date_created: unknown;
	rank: number;
	/** The matching passage as HTML: the text escaped, the matches in `<mark>`. */
	snippet: string;
}

export interface SearchPage {
	data: SearchHit[];
	meta: { next_cursor: string | null };
}

/** What the caller may find: the groups searched, and the threads whose replies they may not read yet. */
interface SearchScope {
	userId: string;
	/** null: every group (admins without a group filter). */
	groupIds: number[] | null;
	gatedThreadIds: number[];
}

/**
 * GET /community/search: posts or messages matching `q`, best first, in the groups the caller reads (or
 * the one they name). Posts: published ones and the caller's own (never deleted ones), with "post before
 * you see replies" applied; messages: neither deleted nor hidden (the caller's own hidden ones excepted).
 */
export async function searchCommunity(
	context: CommunityContext,
	caller: SignedInCaller,
	query: SearchQuery,
	options: SearchOptions,
): Promise<SearchPage> {
	const knex = context.database;
	const terms = parseSearchTerms(query.q);
	if (isEmptySearch(terms)) throw new InvalidPayloadError({ reason: 'q: needs at least one word' });
	const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
	if (query.cursor !== undefined && !cursor) throw new InvalidPayloadError({ reason: 'cursor: not a cursor this endpoint gave' });

	const scope = await searchScope(knex, caller, query.group);
	if (scope.groupIds?.length === 0) return { data: [], meta: { next_cursor: null } };
	const languages = await languagesOf(knex, scope.groupIds);
	const search = isPostgres(knex) ? postgresSearch : sqliteSearch;
	const found = await search(knex, {
		type: query.type,
		terms,
		languages,
		scope,
		cursor,
		limit: query.limit + 1,
		rankWindow: options.rankWindow,
	});
	const page = found.slice(0, query.limit);
	const last = page.at(-1);
	return {
		data: page.map((row) => row.hit),
		meta: { next_cursor: found.length > query.limit && last ? encodeCursor(last.cursor) : null },
	};
}

export interface SearchOptions {
	/**
	 * PostgreSQL: how many of each group's newest matches are ranked (COMMUNITY_SEARCH_RANK_WINDOW); older
	 * matches follow, newest first. 0 ranks every match (the cost then grows with the matches of a common word).
	 */
	rankWindow: number;
}

const DEFAULT_RANK_WINDOW = 250;

export function readSearchOptions(env: Record<string, unknown>): SearchOptions {
	const raw = String(env['COMMUNITY_SEARCH_RANK_WINDOW'] ?? '').trim();
	const value = raw === '' ? DEFAULT_RANK_WINDOW : Number(raw);
	return { rankWindow: Number.isSafeInteger(value) && value >= 0 ? value : DEFAULT_RANK_WINDOW };
}

async function searchScope(knex: Knex, caller: SignedInCaller, group: number | undefined): Promise<SearchScope> {
	if (group !== undefined) {
		// A group the caller cannot see answers like one that does not exist; one they may find but not read: NOT_A_MEMBER.
		assertCanRead(await loadVisibleGroup(knex, group, caller.userId, caller.admin));
	}
	if (caller.admin) return { userId: caller.userId, groupIds: group === undefined ? null : [group], gatedThreadIds: [] };
	const scope = await loadAccessScope(knex, caller.userId);
	const groupIds = group === undefined ? scope.readableGroupIds : scope.readableGroupIds.filter((id) => id === group);
	return { userId: caller.userId, groupIds, gatedThreadIds: scope.gatedThreadIds };
}

/** The searched groups by text-search configuration (PostgreSQL indexes each group's text in its own language). */
async function languagesOf(knex: Knex, groupIds: number[] | null): Promise<Map<string, number[] | null>> {
	const query = knex('community_groups').select('id', 'language');
	if (groupIds) query.whereIn('id', groupIds);
	const byLanguage = new Map<string, number[] | null>();
	for (const row of (await query) as Array<{ id: number; language: string | null }>) {
		const language = searchLanguage(row.language);
		byLanguage.set(language, [...(byLanguage.get(language) ?? []), Number(row.id)]);
	}
	return byLanguage;
}

interface SearchRequest {
	type: SearchQuery['type'];
	terms: SearchTerms;
	languages: Map<string, number[] | null>;
	scope: SearchScope;
	cursor: SearchCursor | null;
	limit: number;
	rankWindow: number;
}

/** A hit, and the cursor of a page that ends with it. */
interface Found {
	hit: SearchHit;
	cursor: SearchCursor;
}

type Search = (knex: Knex, request: SearchRequest) => Promise<Found[]>;

/**
 * Visibility of rows in the searched groups, as SQL over the real table `t` (the same rules as the read scope,
 * row-filters.ts). The group list is the caller's to apply: on PostgreSQL it goes on the index's own `group`
 * column (a second condition on `t.group` would make the planner think most matches fail it).
 */
function visibleRows(query: Knex.QueryBuilder, type: SearchQuery['type'], scope: SearchScope): void {
	if (type === 'posts') {
		query.whereNot('t.status', 'deleted');
		query.where((own) => own.where('t.status', 'published').orWhere('t.author', scope.userId));
		if (scope.gatedThreadIds.length)
			query.where((gate) => gate.whereNull('t.parent').orWhereNotIn('t.parent', scope.gatedThreadIds).orWhere('t.author', scope.userId));
	} else {
		query.whereNull('t.deleted_at');
		query.where((hidden) => hidden.whereNull('t.hidden_at').orWhere('t.sender', scope.userId));
	}
}

/** One page of the matches, best rank first (ties by newest id), after the cursor. */
function rankedPage(
	knex: Knex,
	matches: Knex.QueryBuilder,
	cursor: RankedCursor | null,
	limit: number,
): Promise<Array<Record<string, any>>> {
	const page = knex
		.select('*')
		.from(matches.as('hits'))
		.orderBy([
			{ column: 'rank', order: 'desc' },
			{ column: 'id', order: 'desc' },
		])
		.limit(limit);
	afterCursor(page, cursor);
	return page;
}

type RankedCursor = Extract<SearchCursor, { tier: 'ranked' }>;

/**
 * A cursor into one ranking of the matches. An `older` one comes from a windowed search (PostgreSQL, at most
 * MAX_WINDOWED_GROUPS groups): read as no cursor it would start the listing again, and a client would page forever.
 */
function rankedCursor(cursor: SearchCursor | null): RankedCursor | null {
	if (cursor?.tier === 'older') throw new InvalidPayloadError({ reason: 'cursor: not from this search (start again without it)' });
	return cursor;
}

function afterCursor(query: Knex.QueryBuilder, cursor: RankedCursor | null): void {
	if (!cursor) return;
	query.where((next) =>
		next
			.where('hits.rank', '<', cursor.rank)
			.orWhere((tie) => tie.where('hits.rank', '=', cursor.rank).andWhere('hits.id', '<', cursor.id)),
	);
}

const TABLES = { posts: 'community_posts', messages: 'community_messages' } as const;

function present(type: SearchQuery['type'], row: Record<string, any>, snippet: string | undefined): SearchHit {
	const common = { id: Number(row['id']), group: Number(row['group']), date_created: row['date_created'], rank: Number(row['rank']) };
	const text = snippetHtml(snippet ?? null);
	return type === 'posts'
		? {
				type: 'post',
				...common,
				parent: row['parent'] === null ? null : Number(row['parent']),
				title: row['title'],
				author: row['author'],
				snippet: text,
			}
		: { type: 'message', ...common, seq: Number(row['seq']), author: row['sender'], snippet: text };
}

const COLUMNS = {
	posts: ['t.id', 't.group', 't.parent', 't.title', 't.author', 't.date_created'],
	messages: ['t.id', 't.group', 't.seq', 't.sender', 't.date_created'],
};

/** Above this many searched groups, one ranking of every match replaces the per-group windows. */
const MAX_WINDOWED_GROUPS = MAX_CURSOR_FLOORS;

const postgresSearch: Search = async (knex, request) => {
	const { type, languages, scope } = request;
	const text = websearchText(request.terms);
	const groups = [...languages].flatMap(([language, ids]) => (ids ?? []).map((id): [number, string] => [id, language]));
	const windowed = request.rankWindow > 0 && scope.groupIds !== null && groups.length <= MAX_WINDOWED_GROUPS;
	const found = windowed
		? await knex.transaction((trx) => windowedSearch(trx, request, text, groups))
		: (await rankedPage(knex, everyMatchRanked(knex, request, text), rankedCursor(request.cursor), request.limit)).map((row): FoundRow => ({
				row,
				cursor: { tier: 'ranked', rank: Number(row['rank']), id: Number(row['id']) },
			}));
	if (found.length === 0) return [];
	const snippets = await postgresSnippets(
		knex,
		type,
		text,
		found.map(({ row }) => Number(row['id'])),
	);
	return found.map(({ row, cursor }) => ({ hit: present(type, row, snippets.get(Number(row['id']))), cursor }));
};

interface FoundRow {
	row: Record<string, any>;
	cursor: SearchCursor;
}

const searchTable = (type: SearchQuery['type']) => `${SEARCH_SCHEMA}.${type}`;
const tsquery = (knex: Knex, language: string, text: string) => knex.raw('websearch_to_tsquery(?::regconfig, ?)', [language, text]);
const rankColumn = (knex: Knex, language: string, text: string) =>
	knex.raw('ts_rank(s.document, websearch_to_tsquery(?::regconfig, ?))::float8 AS rank', [language, text]);

/** The index rows in `language` that match (each caller narrows them to its groups). */
function indexMatches(knex: Knex, type: SearchQuery['type'], language: string, text: string) {
	return knex(`${searchTable(type)} as s`)
		.where('s.language', knex.raw('?::regconfig', [language]))
		.where(knex.raw('s.document @@ ?', [tsquery(knex, language, text)]));
}

/** Every visible match in the searched groups, ranked: one branch per language, each a constant query the GIN index answers. */
function everyMatchRanked(knex: Knex, { type, languages, scope }: SearchRequest, text: string): Knex.QueryBuilder {
	const branches = [...languages].map(([language, groupIds]) => {
		const branch = indexMatches(knex, type, language, text)
			.join(`${TABLES[type]} as t`, 't.id', 's.id')
			.select(...COLUMNS[type], rankColumn(knex, language, text));
		// An admin searching everything needs no group list when one language covers all groups.
		if (groupIds && (scope.groupIds || languages.size > 1)) branch.whereIn('s.group', groupIds);
		visibleRows(branch, type, scope);
		return branch;
	});
	return unionAllOf(knex, branches);
}

/**
 * Ranks only each group's newest `rankWindow` matches, so that a word in every fifth message costs a walk
 * down the newest rows of the caller's groups (the (group, id) index) instead of ranking tens of thousands of
 * rows; a rare word still comes from the GIN index (PostgreSQL picks per group by the word's statistics).
 * Pages go through the ranked windows first, then the older matches of the groups whose window was full,
 * newest first. Only rows the caller may see take places in a window, so what they may not see changes
 * neither the ranking nor the cursors. `random_page_cost` is lowered for this transaction: the index tables are small and hot, and
 * at the default the planner walks the primary key through every group instead.
 */
async function windowedSearch(
	trx: Knex.Transaction,
	request: SearchRequest,
	text: string,
	groups: Array<[number, string]>,
): Promise<FoundRow[]> {
	const { type, scope, cursor, limit, rankWindow } = request;
	await trx.raw('SET LOCAL random_page_cost = 1.1');
	// Visibility applies inside each window, so that rows the caller may not see never take a place in it.
	const windows = () =>
		unionAllOf(
			trx,
			groups.map(([group, language]) => {
				const window = indexMatches(trx, type, language, text)
					.join(`${TABLES[type]} as t`, 't.id', 's.id')
					.select(...COLUMNS[type], rankColumn(trx, language, text))
					.where('s.group', group)
					.orderBy('s.id', 'desc')
					.limit(rankWindow);
				visibleRows(window, type, scope);
				return window;
			}),
		);
	const found: FoundRow[] = [];
	if (cursor?.tier !== 'older') {
		for (const row of await rankedPage(trx, windows(), rankedCursor(cursor), limit))
			found.push({ row, cursor: { tier: 'ranked', rank: Number(row['rank']), id: Number(row['id']) } });
		if (found.length === limit) return found;
	}
	const floors = cursor?.tier === 'older' ? cursor.floors : await fullWindowFloors(trx, windows(), rankWindow);
	const languageOf = new Map(groups);
	const older = floors.flatMap(([group, floor]) => {
		const language = languageOf.get(group);
		if (!language) return [];
		const branch = indexMatches(trx, type, language, text)
			.join(`${TABLES[type]} as t`, 't.id', 's.id')
			.select(...COLUMNS[type], rankColumn(trx, language, text))
			.where('s.group', group)
			.where('s.id', '<', cursor?.tier === 'older' ? Math.min(floor, cursor.id) : floor)
			.orderBy('s.id', 'desc')
			.limit(limit - found.length);
		visibleRows(branch, type, scope);
		return [branch];
	});
	if (older.length === 0) return found;
	const rows = await trx
		.select('*')
		.from(unionAllOf(trx, older).as('hits'))
		.orderBy('id', 'desc')
		.limit(limit - found.length);
	for (const row of rows) found.push({ row, cursor: { tier: 'older', id: Number(row['id']), floors } });
	return found;
}

/** Branches in parentheses (each keeps its own ORDER BY and LIMIT). */
const unionAllOf = (knex: Knex, branches: Knex.QueryBuilder[]): Knex.QueryBuilder => knex.unionAll(branches, true);

/** The groups whose window is full (older matches may exist), each with the oldest id in its window. */
async function fullWindowFloors(trx: Knex.Transaction, windows: Knex.QueryBuilder, rankWindow: number): Promise<GroupFloor[]> {
	const rows: Array<{ group: number; floor: number }> = await trx
		.select('w.group', trx.raw('min(w.id) AS floor'))
		.from(windows.as('w'))
		.groupBy('w.group')
		.havingRaw('count(*) = ?', [rankWindow]);
	return rows.map((row): GroupFloor => [Number(row.group), Number(row.floor)]);
}

/** Highlighted passages of the page's hits, each in its group's language. */
async function postgresSnippets(knex: Knex, type: SearchQuery['type'], text: string, ids: number[]): Promise<Map<number, string>> {
	const headlines: Array<{ id: number; snippet: string }> = await knex(`${searchTable(type)} as s`)
		.join(`${TABLES[type]} as t`, 't.id', 's.id')
		.whereIn('s.id', ids)
		.select(
			's.id',
			knex.raw(
				`ts_headline(s.language, ${type === 'posts' ? "coalesce(t.title, '') || ' — ' || t.body" : 't.body'}, websearch_to_tsquery(s.language, ?), ?) AS snippet`,
				[text, `StartSel=${MATCH_START}, StopSel=${MATCH_END}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`],
			),
		);
	return new Map(headlines.map((row) => [Number(row.id), row.snippet]));
}

const sqliteSearch: Search = async (knex, { type, terms, scope, cursor, limit }) => {
	const fts = type === 'posts' ? 'community_fts_posts' : 'community_fts_messages';
	const match = fts5Match(terms);
	// bm25: lower is better; titles weigh twice the body. FTS5 ranks every match (no windows on the embedded database).
	const bm25 = type === 'posts' ? `bm25(${fts}, 2.0, 1.0)` : `bm25(${fts})`;
	const matches = knex(fts)
		.join(`${TABLES[type]} as t`, 't.id', `${fts}.rowid`)
		.select(...COLUMNS[type], knex.raw(`-${bm25} AS rank`))
		.whereRaw(`${fts} MATCH ?`, [match]);
	if (scope.groupIds) matches.whereIn('t.group', scope.groupIds);
	visibleRows(matches, type, scope);
	const rows = await rankedPage(knex, matches, rankedCursor(cursor), limit);
	if (rows.length === 0) return [];
	// Snippets for the page only: FTS5 makes them from the stored text, one row at a time.
	const snippets: Array<{ id: number; snippet: string }> = await knex(fts)
		.select(knex.raw(`rowid AS id, snippet(${fts}, -1, ?, ?, ' … ', 24) AS snippet`, [MATCH_START, MATCH_END]))
		.whereRaw(`${fts} MATCH ?`, [match])
		.whereIn(
			'rowid',
			rows.map((row) => row['id']),
		);
	const byId = new Map(snippets.map((row) => [Number(row.id), row.snippet]));
	return rows.map((row) => ({
		hit: present(type, row, byId.get(Number(row['id']))),
		cursor: { tier: 'ranked', rank: Number(row['rank']), id: Number(row['id']) },
	}));
};
