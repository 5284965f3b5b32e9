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
export async function searchCommunity(context: CommunityContext, caller: SignedInCaller, query: SearchQuery): Promise<SearchPage> {
	const knex = context.database;
	const terms = parseSearchTerms(query.q);
	if (isEmptySearch(terms)) throw new InvalidPayloadError({ reason: 'q: needs at least one word' });
	const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
	if (query.cursor !== undefined && !cursor) throw new InvalidPayloadError({ reason: 'cursor: not a cursor this endpoint gave' });

	const scope = await searchScope(knex, caller, query.group);
	if (scope.groupIds?.length === 0) return { data: [], meta: { next_cursor: null } };
	const languages = await languagesOf(knex, scope.groupIds);
	const search = isPostgres(knex) ? postgresSearch : sqliteSearch;
	const rows = await search(knex, query.type, terms, languages, scope, cursor, query.limit + 1);
	const page = rows.slice(0, query.limit);
	const last = page.at(-1);
	return {
		data: page,
		meta: { next_cursor: rows.length > query.limit && last ? encodeCursor({ rank: last.rank, id: last.id }) : null },
	};
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

type Search = (
	knex: Knex,
	type: SearchQuery['type'],
	terms: SearchTerms,
	languages: Map<string, number[] | null>,
	scope: SearchScope,
	cursor: SearchCursor | null,
	limit: number,
) => Promise<SearchHit[]>;

/** Visibility of rows, as SQL over the real table `t` (the same rules as the read scope, row-filters.ts). */
function visibleRows(query: Knex.QueryBuilder, type: SearchQuery['type'], scope: SearchScope): void {
	if (scope.groupIds) query.whereIn('t.group', scope.groupIds);
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
	cursor: SearchCursor | null,
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

function afterCursor(query: Knex.QueryBuilder, cursor: SearchCursor | null): void {
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

const postgresSearch: Search = async (knex, type, terms, languages, scope, cursor, limit) => {
	const text = websearchText(terms);
	const index = `${SEARCH_SCHEMA}.${type}`;
	// One branch per language, each with a constant query: the GIN index answers it, and the query is parsed once.
	const branches = [...languages].map(([language, groupIds]) => {
		const branch = knex(`${index} as s`)
			.join(`${TABLES[type]} as t`, 't.id', 's.id')
			.select(...COLUMNS[type], knex.raw('ts_rank(s.document, websearch_to_tsquery(?::regconfig, ?))::float8 AS rank', [language, text]))
			.where('s.language', knex.raw('?::regconfig', [language]))
			.whereRaw('s.document @@ websearch_to_tsquery(?::regconfig, ?)', [language, text]);
		// An admin searching everything needs no group list when one language covers all groups.
		if (groupIds && (scope.groupIds || languages.size > 1)) branch.whereIn('s.group', groupIds);
		visibleRows(branch, type, scope);
		return branch;
	});
	if (branches.length === 0) return [];
	const matches = branches.length === 1 ? branches[0]! : branches[0]!.unionAll(branches.slice(1), true);
	const rows = await rankedPage(knex, matches, cursor, limit);
	if (rows.length === 0) return [];
	const headlines: Array<{ id: number; snippet: string }> = await knex(`${index} as s`)
		.join(`${TABLES[type]} as t`, 't.id', 's.id')
		.whereIn(
			's.id',
			rows.map((row) => row['id']),
		)
		.select(
			's.id',
			knex.raw(
				`ts_headline(s.language, ${type === 'posts' ? "coalesce(t.title, '') || ' — ' || t.body" : 't.body'}, websearch_to_tsquery(s.language, ?), ?) AS snippet`,
				[text, `StartSel=${MATCH_START}, StopSel=${MATCH_END}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`],
			),
		);
	const snippets = new Map(headlines.map((row) => [Number(row.id), row.snippet]));
	return rows.map((row) => present(type, row, snippets.get(Number(row['id']))));
};

const sqliteSearch: Search = async (knex, type, terms, _languages, scope, cursor, limit) => {
	const fts = type === 'posts' ? 'community_fts_posts' : 'community_fts_messages';
	const match = fts5Match(terms);
	// bm25: lower is better; titles weigh twice the body.
	const bm25 = type === 'posts' ? `bm25(${fts}, 2.0, 1.0)` : `bm25(${fts})`;
	const matches = knex(fts)
		.join(`${TABLES[type]} as t`, 't.id', `${fts}.rowid`)
		.select(...COLUMNS[type], knex.raw(`-${bm25} AS rank`))
		.whereRaw(`${fts} MATCH ?`, [match]);
	visibleRows(matches, type, scope);
	const rows = await rankedPage(knex, matches, cursor, limit);
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
	return rows.map((row) => present(type, row, byId.get(Number(row['id']))));
};
