import sanitizeHtml from 'sanitize-html';
import { LIMITS } from './limits.js';

/**
 * Bodies are markdown. Raw HTML inside them is escaped by sanitize-html (so `<script>` and
 * `<img onerror>` reach clients as visible text, never as markup), and markdown link or image
 * destinations with a scheme that can run code are defused, since markdown renderers differ on which
 * schemes they allow.
 */
export function neutraliseMarkdown(markdown: string): string {
	const escaped = sanitizeHtml(markdown, { allowedTags: [], allowedAttributes: {}, disallowedTagsMode: 'escape' });
	return defuseLinkDestinations(unescapeMarkdownSyntax(escaped));
}

/**
 * sanitize-html escapes `>`, quotes and `&` in text too; they are markdown syntax, so they go back. So does
 * the mention syntax `<@id>`: HTML tag names start with a letter, so `<@` never opens a tag.
 */
function unescapeMarkdownSyntax(text: string): string {
	return text
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&amp;(?![a-z]+;|#\d+;)/g, '&')
		.replace(/&lt;@([0-9a-fA-F-]{36})>/g, '<@$1>');
}

const UNSAFE_SCHEME = /(javascript|vbscript|data|file)\s*:/gi;

/** `[x](javascript:…)`, `![x](data:…)` and reference definitions `[x]: javascript:…`. */
function defuseLinkDestinations(text: string): string {
	return text
		.replace(/(\]\(\s*<?\s*)([^)\s]*)/g, (_m, open: string, destination: string) => open + destination.replace(UNSAFE_SCHEME, 'unsafe-$1:'))
		.replace(
			/^(\s{0,3}\[[^\]]+\]:\s*<?\s*)(\S*)/gm,
			(_m, open: string, destination: string) => open + destination.replace(UNSAFE_SCHEME, 'unsafe-$1:'),
		);
}

export type TextCheck = { ok: true; text: string } | { ok: false; reason: 'empty' | 'too_long' | 'not_text'; max: number };

/** Trims, checks the length (after trimming, before escaping) and neutralises a body. */
export function checkBody(value: unknown, max: number): TextCheck {
	if (typeof value !== 'string') return { ok: false, reason: 'not_text', max };
	const trimmed = value.trim();
	if (trimmed.length === 0) return { ok: false, reason: 'empty', max };
	if (trimmed.length > max) return { ok: false, reason: 'too_long', max };
	return { ok: true, text: neutraliseMarkdown(trimmed) };
}

/** Mentions are written `<@user-id>` (the id of a directus_users row), as in Slack and Discord. */
const MENTION = /<@([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})>/gi;

/** Distinct mentioned user ids, in order of appearance, at most LIMITS.mentionsPerText. */
export function extractMentions(text: string): string[] {
	const ids = [...text.matchAll(MENTION)].map((match) => match[1]!.toLowerCase());
	return [...new Set(ids)].slice(0, LIMITS.mentionsPerText);
}
