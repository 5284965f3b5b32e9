import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, fts5Match, parseSearchTerms, snippetHtml, websearchText, type SearchCursor } from './search-query.js';

describe('parseSearchTerms', () => {
	it('finds words and quoted phrases, and nothing of the query syntax', () => {
		expect(parseSearchTerms('Exam "due date" notes')).toEqual({ words: ['exam', 'notes'], phrases: [['due', 'date']] });
		expect(parseSearchTerms('a OR b -c NEAR(x) body:y *')).toEqual({ words: ['a', 'or', 'b', 'c', 'near', 'x', 'body', 'y'], phrases: [] });
		expect(parseSearchTerms('"unclosed phrase')).toEqual({ words: ['unclosed', 'phrase'], phrases: [] });
		expect(parseSearchTerms('"one"')).toEqual({ words: ['one'], phrases: [] });
		expect(parseSearchTerms('Übung café')).toEqual({ words: ['übung', 'café'], phrases: [] });
		expect(parseSearchTerms('!!! ---')).toEqual({ words: [], phrases: [] });
	});

	it('says the query to FTS5 and to websearch_to_tsquery as quoted terms only', () => {
		const terms = parseSearchTerms('exam "due date"');
		expect(fts5Match(terms)).toBe('"exam" "due date"');
		expect(websearchText(terms)).toBe('exam "due date"');
	});
});

describe('cursor', () => {
	it('round-trips both tiers and refuses anything else', () => {
		const ranked: SearchCursor = { tier: 'ranked', rank: 0.123456, id: 42 };
		expect(decodeCursor(encodeCursor(ranked))).toEqual(ranked);
		const older: SearchCursor = { tier: 'older', id: 17, floors: [[3, 120]] };
		expect(decodeCursor(encodeCursor(older))).toEqual(older);
		const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
		for (const bad of [
			'nonsense',
			encoded([1, -2]),
			encoded({ rank: 1 }),
			encoded(['older', 5, [[1, 0]]]),
			encoded(['older', 5, [[1]]]),
			encoded(['newer', 5, []]),
			encoded(['older', 5, Array.from({ length: 65 }, (_, i) => [i + 1, 9])]),
			// Past PostgreSQL's integer: the query would fail on it.
			encoded([0.5, 2_147_483_648]),
			encoded(['older', 2_147_483_648, [[3, 120]]]),
			encoded(['older', 17, [[3, 2_147_483_648]]]),
			// One group twice: never written by the server, and each repeat a branch of the query.
			encoded([
				'older',
				17,
				[
					[3, 120],
					[3, 121],
				],
			]),
		])
			expect(decodeCursor(bad), bad).toBeNull();
	});
});

describe('snippetHtml', () => {
	it('escapes the text and marks the matches', () => {
		expect(snippetHtml('<b>x</b> \u0002exam\u0003 & more')).toBe('&lt;b&gt;x&lt;/b&gt; <mark>exam</mark> &amp; more');
		expect(snippetHtml(null)).toBe('');
	});
});
