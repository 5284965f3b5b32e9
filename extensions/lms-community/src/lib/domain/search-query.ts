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

/** Where a page ended: the last hit's rank and id (hits are ordered by rank, then id, both descending). */
export interface SearchCursor {
	rank: number;
	id: number;
}

export function encodeCursor(cursor: SearchCursor): string {
	return Buffer.from(JSON.stringify([cursor.rank, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string): SearchCursor | null {
	try {
		const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
		if (!Array.isArray(parsed) || parsed.length !== 2) return null;
		const [rank, id] = parsed;
		if (typeof rank !== 'number' || !Number.isFinite(rank) || !Number.isSafeInteger(id) || id < 1) return null;
		return { rank, id };
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
