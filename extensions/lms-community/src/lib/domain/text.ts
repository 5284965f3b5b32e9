import sanitizeHtml from 'sanitize-html';
import { LIMITS } from './limits.js';

/**
 * Bodies are markdown. Raw HTML inside them is escaped by sanitize-html (so `<script>` and
 * `<img onerror>` reach clients as visible text, never as markup), and markdown link or image
 * destinations with a scheme that can run code are defused, since markdown renderers differ on which
 * schemes they allow. Both steps after sanitize-html are single passes that read each character a bounded
 * number of times, so like sanitize-html's parser they take time in proportion to the length, whatever it holds.
 */
export function neutraliseMarkdown(markdown: string): string {
	const escaped = sanitizeHtml(markdown, { allowedTags: [], allowedAttributes: {}, disallowedTagsMode: 'escape' });
	return defuseLinkDestinations(restoreMarkdownSyntax(escaped));
}

const AMP = 0x26;
const AT = 0x40;
const HYPHEN = 0x2d;
const HASH = 0x23;
const SEMICOLON = 0x3b;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
/** The longest HTML5 character reference name (`CounterClockwiseContourIntegral`) has 31 characters. */
const MAX_ENTITY_NAME = 31;
const MENTION_ID_LENGTH = 36;

const isLetter = (c: number) => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
/** ASCII whitespace, as markdown separates link destinations with it. */
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** `&#…` (numeric, with or without `;`) or `&name;` from `at`: what a renderer would decode as a character reference. */
function startsCharacterReference(text: string, at: number): boolean {
	const first = text.charCodeAt(at);
	if (first === HASH) return true;
	if (!isLetter(first)) return false;
	for (let i = at + 1; i <= at + MAX_ENTITY_NAME && i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c === SEMICOLON) return true;
		if (!isLetter(c) && !isDigit(c)) return false;
	}
	return false;
}

/** A mention's `@id&gt;` from `at` (after `&lt;`): the 36 characters of a uuid, then the escaped `>`. */
function escapedMentionEnd(text: string, at: number): number {
	if (text.charCodeAt(at) !== AT) return -1;
	const idEnd = at + 1 + MENTION_ID_LENGTH;
	for (let i = at + 1; i < idEnd; i++) {
		const c = text.charCodeAt(i);
		if (!isHex(c) && c !== HYPHEN) return -1;
	}
	return text.startsWith('&gt;', idEnd) ? idEnd + 4 : -1;
}

/**
 * sanitize-html escapes `>`, quotes and `&` in text too; they are markdown syntax, so they go back. So does
 * the mention syntax `<@id>`: HTML tag names start with a letter, so `<@` never opens a tag. An `&` that
 * would start a character reference stays escaped: restoring `&amp;#x3a;` to `&#x3a;` would turn the
 * text the author wrote into a live `:` for every renderer that decodes entities (`javascript&#x3a;`).
 */
function restoreMarkdownSyntax(text: string): string {
	let restored = '';
	let copied = 0;
	const replace = (from: number, to: number, by: string) => {
		restored += text.slice(copied, from) + by;
		copied = to;
	};
	let i = 0;
	while (i < text.length) {
		if (text.charCodeAt(i) !== AMP) {
			i++;
		} else if (text.startsWith('&gt;', i)) {
			replace(i, i + 4, '>');
			i += 4;
		} else if (text.startsWith('&quot;', i)) {
			replace(i, i + 6, '"');
			i += 6;
		} else if (text.startsWith('&amp;', i)) {
			if (!startsCharacterReference(text, i + 5)) replace(i, i + 5, '&');
			i += 5;
		} else if (text.startsWith('&lt;', i)) {
			const end = escapedMentionEnd(text, i + 4);
			if (end !== -1) replace(i, end, `<${text.slice(i + 4, end - 4)}>`);
			i = end === -1 ? i + 4 : end;
		} else {
			i++;
		}
	}
	return restored + text.slice(copied);
}

const UNSAFE_SCHEMES = ['javascript', 'vbscript', 'data', 'file'];

/** A script-capable scheme name at `at`, followed by `:` (or `\:`, a markdown escape of it). */
function unsafeSchemeAt(text: string, at: number): boolean {
	for (const scheme of UNSAFE_SCHEMES) {
		let i = 0;
		while (i < scheme.length && (text.charCodeAt(at + i) | 0x20) === scheme.charCodeAt(i)) i++;
		if (i < scheme.length) continue;
		const next = text.charCodeAt(at + i);
		if (next === COLON || (next === BACKSLASH && text.charCodeAt(at + i + 1) === COLON)) return true;
	}
	return false;
}

/**
 * Inline destinations `[x](…)`, `![x](…)` and definitions `[x]: …` (anywhere, so also inside quotes and
 * lists) get `unsafe-` before a script-capable scheme wherever it appears in them.
 */
function defuseLinkDestinations(text: string): string {
	let defused = '';
	let copied = 0;
	let i = 0;
	while (i < text.length) {
		const next = text.charCodeAt(i + 1);
		if (text.charCodeAt(i) !== CLOSE_BRACKET || (next !== OPEN_PAREN && next !== COLON)) {
			i++;
			continue;
		}
		i += 2;
		while (i < text.length && isSpace(text.charCodeAt(i))) i++;
		for (; i < text.length; i++) {
			const c = text.charCodeAt(i);
			if (isSpace(c) || (next === OPEN_PAREN && c === CLOSE_PAREN)) break;
			if (unsafeSchemeAt(text, i)) {
				defused += `${text.slice(copied, i)}unsafe-`;
				copied = i;
			}
		}
	}
	return defused + text.slice(copied);
}

/** Where a text may break lines: bodies and notes span lines, titles and names are one line. */
export type TextLines = 'single' | 'multi';

export type PlainTextCheck = { ok: true; text: string } | { ok: false; reason: 'too_long' | 'not_text' | 'control_character'; max: number };
export type TextCheck = PlainTextCheck | { ok: false; reason: 'empty'; max: number };

/** C0 controls, DEL and C1 controls; multi-line text keeps tab, line feed and carriage return. */
function hasControlCharacter(text: string, lines: TextLines): boolean {
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (lines === 'multi' && (c === 0x09 || c === 0x0a || c === 0x0d)) continue;
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
	}
	return false;
}

/**
 * Plain text (titles, report and moderation notes): trimmed, at most `max` characters after trimming, no
 * control characters. Stored as written: clients show it as text, never as markdown or HTML. Empty is
 * allowed here; whether a field may be empty is its rule's to say.
 */
export function checkPlainText(value: unknown, max: number, lines: TextLines): PlainTextCheck {
	if (typeof value !== 'string') return { ok: false, reason: 'not_text', max };
	const trimmed = value.trim();
	if (trimmed.length > max) return { ok: false, reason: 'too_long', max };
	if (hasControlCharacter(trimmed, lines)) return { ok: false, reason: 'control_character', max };
	return { ok: true, text: trimmed };
}

/** A body: plain text's rules over several lines, not empty, then neutralised as markdown. */
export function checkBody(value: unknown, max: number): TextCheck {
	const checked = checkPlainText(value, max, 'multi');
	if (!checked.ok) return checked;
	if (checked.text.length === 0) return { ok: false, reason: 'empty', max };
	return { ok: true, text: neutraliseMarkdown(checked.text) };
}

/** Mentions are written `<@user-id>` (the id of a directus_users row), as in Slack and Discord. */
const MENTION = /<@([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})>/gi;

/** Distinct mentioned user ids, in order of appearance, at most LIMITS.mentionsPerText. */
export function extractMentions(text: string): string[] {
	const ids = [...text.matchAll(MENTION)].map((match) => match[1]!.toLowerCase());
	return [...new Set(ids)].slice(0, LIMITS.mentionsPerText);
}
