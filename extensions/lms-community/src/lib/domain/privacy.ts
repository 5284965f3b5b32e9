/**
 * A person's data over its lifetime, as pure rules: the pseudonym content keeps once its author is gone,
 * scrubbing mentions and attachments, when retention is due, and the CSV cells of an export.
 * docs/privacy.md describes what each action keeps and removes.
 */

/** What a deleted or erased person's posts and messages show instead of their name. */
export function formerMemberLabel(number: number): string {
	return `Former member #${number}`;
}

/**
 * A new pseudonym no one in `taken` has, from a random source in [0, 1): random, so it cannot be traced back to
 * the account. Four digits while they last, then more.
 */
export function pickPseudonym(random: () => number, taken: ReadonlySet<string>): string {
	for (let digits = 4; ; digits++) {
		const low = 10 ** (digits - 1);
		for (let attempt = 0; attempt < 20; attempt++) {
			const label = formerMemberLabel(low + Math.floor(random() * 9 * low));
			if (!taken.has(label)) return label;
		}
	}
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces every mention of `userId` (`<@id>`, any letter case) with `@label`. */
export function scrubMentions(text: string, userId: string, label: string): string {
	return text.replace(new RegExp(`<@${escapeRegExp(userId)}>`, 'gi'), `@${label}`);
}

/** Every user id a text mentions (`<@id>`), distinct, lowercase; unlike notifications, without a cap. */
export function mentionedIds(text: string | null | undefined): string[] {
	if (!text) return [];
	return [...new Set([...text.matchAll(new RegExp(`<@(${UUID})>`, 'gi'))].map((match) => match[1]!.toLowerCase()))];
}

/** Whether a text mentions `userId`. */
export function mentions(text: string | null | undefined, userId: string): boolean {
	return !!text && text.toLowerCase().includes(`<@${userId.toLowerCase()}>`);
}

/** Ids of Directus files a markdown body links to (`/assets/<id>`), distinct, lowercase. */
export function assetIdsIn(text: string | null | undefined): string[] {
	if (!text) return [];
	const ids = [...text.matchAll(new RegExp(`/assets/(${UUID})`, 'gi'))].map((match) => match[1]!.toLowerCase());
	return [...new Set(ids)];
}

export type RetentionAction = 'anonymise' | 'purge';

export interface RetentionSetting {
	/** When the course ends (epoch ms); null: not known, so retention never starts. */
	endsAt: number | null;
	/** Days to keep chat after the end; null: keep for ever (the default). */
	days: number | null;
}

const DAY_MS = 86_400_000;

/**
 * Chat created at or before the returned moment is due for the group's retention action; null: nothing is.
 * Nothing is due until `days` have passed since the course ended; from then on, chat older than `days`.
 */
export function retentionCutoff(setting: RetentionSetting, now: number): number | null {
	if (setting.endsAt === null || setting.days === null || setting.days < 0) return null;
	const keepFor = setting.days * DAY_MS;
	if (now < setting.endsAt + keepFor) return null;
	return now - keepFor;
}

/**
 * A push token as an export shows it: the last few characters (and a Web Push service's origin), enough to
 * tell the person's devices apart, never the whole address the server pushes to (docs/privacy.md says why).
 */
export function shortenedToken(token: string): string {
	const tail = token.slice(-Math.min(8, Math.floor(token.length / 4)));
	const origin = /^https?:\/\//i.test(token) ? URL.parse(token)?.origin : undefined;
	return origin ? `${origin}/…${tail}` : `…${tail}`;
}

/**
 * One CSV cell (RFC 4180 quoting). Objects become JSON. A text starting with `=`, `+`, `-`, `@`, tab or CR is
 * prefixed with `'` so a spreadsheet shows it instead of running it as a formula.
 */
export function csvCell(value: unknown): string {
	if (value === null || value === undefined) return '';
	let text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
	if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
	return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(values: unknown[]): string {
	return `${values.map(csvCell).join(',')}\r\n`;
}
