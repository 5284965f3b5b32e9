import { timeOf } from '../rules/clock.js';

/**
 * Course rules a group (and a thread) may set, as pure functions over dates and flags: a cut-off after which
 * nothing new is posted, an edit window for students, and "post before you see replies". The rule hooks and
 * the read scope load the facts and apply these; everything is decided at the moment of the request, so a
 * cut-off takes effect at its time on every instance without a job flipping a flag.
 */

export type LockReason = 'GROUP_LOCKED' | 'THREAD_LOCKED';

/** Drivers return timestamps as Date, ISO string or epoch milliseconds (clock.ts reads them all). */
type Timestamp = unknown;

const passed = (at: Timestamp, now: Date): boolean => {
	const time = timeOf(at);
	return time !== null && time <= now.getTime();
};

/**
 * Why nothing new may be written here now (posts, replies, chat messages), or null. The group's cut-off
 * comes first; a thread's own cut-off only matters for replies to that thread.
 */
export function lockedReason(group: { locks_at?: Timestamp }, now: Date, thread?: { locks_at?: Timestamp } | null): LockReason | null {
	if (passed(group.locks_at, now)) return 'GROUP_LOCKED';
	if (thread && passed(thread.locks_at, now)) return 'THREAD_LOCKED';
	return null;
}

/**
 * Whether a student may still edit what they wrote at `createdAt`: always when the group sets no window
 * (null or 0 minutes), else until the window has passed. Instructors and moderators are not asked.
 */
export function withinEditWindow(createdAt: Timestamp, windowMinutes: number | null | undefined, now: Date): boolean {
	if (!windowMinutes || windowMinutes <= 0) return true;
	const created = timeOf(createdAt);
	if (created === null) return true;
	return now.getTime() < created + windowMinutes * 60_000;
}

/** A thread asks its readers to post first when the thread or its group says so. */
export function repliesGated(group: { post_before_replies?: unknown }, thread: { post_before_replies?: unknown }): boolean {
	return isSet(group.post_before_replies) || isSet(thread.post_before_replies);
}

const isSet = (value: unknown): boolean => value === true || value === 1 || value === '1';

export interface ReplyReader {
	/** Moderators (instructors, moderators, admins) always see replies. */
	moderator: boolean;
	/** The reader started the thread. */
	threadAuthor: boolean;
	/** The reader has a published reply in the thread (a pending one does not count). */
	hasPublishedReply: boolean;
}

/** Whether a reader sees the replies of a gated thread. */
export function seesGatedReplies(reader: ReplyReader): boolean {
	return reader.moderator || reader.threadAuthor || reader.hasPublishedReply;
}

/** Text-search configurations a group may choose (PostgreSQL's built-in ones); `simple` does no stemming. */
export const SEARCH_LANGUAGES = [
	'simple',
	'arabic',
	'danish',
	'dutch',
	'english',
	'finnish',
	'french',
	'german',
	'hungarian',
	'italian',
	'norwegian',
	'portuguese',
	'romanian',
	'russian',
	'spanish',
	'swedish',
	'turkish',
] as const;
export type SearchLanguage = (typeof SEARCH_LANGUAGES)[number];

export function searchLanguage(value: unknown): SearchLanguage {
	return (SEARCH_LANGUAGES as readonly unknown[]).includes(value) ? (value as SearchLanguage) : 'simple';
}

/** An IANA time zone name the runtime knows (`Europe/Berlin`), or false. */
export function isTimeZone(value: string): boolean {
	try {
		new Intl.DateTimeFormat('en-US', { timeZone: value });
		return true;
	} catch {
		return false;
	}
}

/** The zone a course's days are counted in: the group's IANA `timezone`, UTC when unset or unknown. */
export function courseTimeZone(value: string | null | undefined): string {
	return value && isTimeZone(value) ? value : 'UTC';
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone: what "active days" count. */
export function dayIn(at: Timestamp, timeZone: string): string | null {
	const time = timeOf(at);
	if (time === null) return null;
	return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(time));
}
