import { MAX_ID } from '../rules/schemas.js';

/**
 * Search input and output as pure functions: what a query means (words and quoted phrases), how it is said
 * to SQLite FTS5 without letting its query syntax through, the opaque cursor, and a snippet made safe to
 * show as HTML. The database side is community/search.ts.
 */

export interface SearchTerms {
	/** Single words; every one must match. */
	words: string[];
	/** Quoted phrases ("exam date"); every one must match as written. */
	phrases: string[][];
}

/** Letters and digits of any script make a word; everything else separates words (and never reaches SQL). */
const WORD = /[\p{L}\p{N}]+/gu;

export function parseSearchTerms(q: string): SearchTerms {
	const words: string[] = [];
	const phrases: string[][] = [];
	const parts = q.split('"');
	parts.forEach((part, index) => {
		const tokens = part.toLowerCase().match(WORD) ?? [];
		// Odd parts sit between quotes; an unclosed quote makes its tail plain words.
		const quoted = index % 2 === 1 && index < parts.length - 1;
		if (quoted && tokens.length > 1) phrases.push(tokens);
		else words.push(...tokens);
	});
	return { words: [...new Set(words)], phrases };
}

export const isEmptySearch = (terms: SearchTerms): boolean => terms.words.length === 0 && terms.phrases.length === 0;

/** An FTS5 MATCH expression: every word and phrase as a quoted string, so no operator or column filter gets in. */
export function fts5Match(terms: SearchTerms): string {
	const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;
	return [...terms.words.map(quote), ...terms.phrases.map((phrase) => quote(phrase.join(' ')))].join(' ');
}

/**
 * The same query for PostgreSQL's `websearch_to_tsquery`: words, and phrases in quotes. Only letters,
 * digits, spaces and quotes remain, so `-`, `or` tricks and stray punctuation mean nothing.
 */
export function websearchText(terms: SearchTerms): string {
	return [...terms.words, ...terms.phrases.map((phrase) => `"${phrase.join(' ')}"`)].join(' ');
}

/**
 * Where a page ended. Ranked hits are ordered by rank, then id, both descending; on PostgreSQL the ranking
 * covers each group's newest matches, and the older ones follow newest first (`older`), below each group's
 * `floor` (the oldest id of its ranked window, kept in the cursor so the pages of that part stay stable).
 */
export type SearchCursor = { tier: 'ranked'; rank: number; id: number } | { tier: 'older'; id: number; floors: GroupFloor[] };

/** [group id, oldest id of the group's ranked window]: older matches of the group are below it. */
export type GroupFloor = [number, number];

/** More floors than this never come from this server (it ranks all matches when more groups are searched). */
export const MAX_CURSOR_FLOORS = 64;

export function encodeCursor(cursor: SearchCursor): string {
	const parts = cursor.tier === 'ranked' ? [cursor.rank, cursor.id] : ['older', cursor.id, cursor.floors];
	return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** An id as PostgreSQL's `integer` holds it: a larger one in a cursor would reach the query and fail it (a 500). */
const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= MAX_ID;

export function decodeCursor(value: string): SearchCursor | null {
	try {
		const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
		if (!Array.isArray(parsed)) return null;
		if (parsed.length === 2) {
			const [rank, id] = parsed;
			if (typeof rank !== 'number' || !Number.isFinite(rank) || !isId(id)) return null;
			return { tier: 'ranked', rank, id };
		}
		const [tier, id, floors] = parsed;
		if (parsed.length !== 3 || tier !== 'older' || !isId(id) || !Array.isArray(floors) || floors.length > MAX_CURSOR_FLOORS) return null;
		if (!floors.every((floor) => Array.isArray(floor) && floor.length === 2 && isId(floor[0]) && isId(floor[1]))) return null;
		// One floor per group, as this server writes them: repeats would only multiply the query's branches.
		if (new Set(floors.map(([group]) => group)).size !== floors.length) return null;
		return { tier: 'older', id, floors: floors as GroupFloor[] };
	} catch {
		return null;
	}
}

/** Markers the database puts around matches; control characters never occur in stored bodies (domain/text.ts). */
export const MATCH_START = '\u0002';
export const MATCH_END = '\u0003';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The database's snippet with its markers as `<mark>`: everything else escaped, so it is safe to show as HTML. */
export function snippetHtml(raw: string | null | undefined): string {
	const escaped = (raw ?? '').replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
	return escaped.replaceAll(MATCH_START, '<mark>').replaceAll(MATCH_END, '</mark>');
}
