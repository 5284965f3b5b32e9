import type { NotificationSettings, QuietHours } from './notification-settings.js';

/**
 * When a delivery may go out, as pure functions of a clock: the missed-activity delay, the digest windows,
 * quiet hours in the member's time zone, and the backoff between attempts. Moments are whole minutes in the
 * member's local time; on a day the clocks change, a window can move by the hour that was skipped or repeated.
 */

const MINUTE = 60_000;
const DAY_MINUTES = 24 * 60;

/** Minutes since local midnight in `timeZone`. */
export function localMinutes(at: Date, timeZone: string): number {
	const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
	const value = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
	return value('hour') * 60 + value('minute');
}

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** The first moment at or after `at` whose local time is `targetMinutes` past midnight. */
function nextLocalTime(at: Date, timeZone: string, targetMinutes: number): Date {
	const startOfMinute = Math.ceil(at.getTime() / MINUTE) * MINUTE;
	const delta = (targetMinutes - localMinutes(new Date(startOfMinute), timeZone) + DAY_MINUTES) % DAY_MINUTES;
	return new Date(startOfMinute + delta * MINUTE);
}

/** Whether `at` is inside the quiet hours (a window may run past midnight: 22:00 to 07:00). */
export function inQuietHours(at: Date, quiet: QuietHours | null, timeZone: string): boolean {
	if (!quiet) return false;
	const now = localMinutes(at, timeZone);
	const start = minutesOf(quiet.start);
	const end = minutesOf(quiet.end);
	return start < end ? now >= start && now < end : now >= start || now < end;
}

/** `at`, or the end of the quiet hours when `at` falls inside them. */
export function afterQuietHours(at: Date, settings: Pick<NotificationSettings, 'quiet_hours' | 'timezone'>): Date {
	if (!inQuietHours(at, settings.quiet_hours, settings.timezone)) return at;
	return nextLocalTime(at, settings.timezone, minutesOf(settings.quiet_hours!.end));
}

/**
 * When the e-mail about a notification created at `createdAt` is due: once the delay has passed (it is sent
 * only if still unread then), at the next full hour for hourly digests, at the member's digest hour for daily
 * ones; never inside quiet hours.
 */
export function emailDueAt(createdAt: Date, settings: NotificationSettings, delaySeconds: number): Date {
	const afterDelay = new Date(createdAt.getTime() + delaySeconds * 1000);
	let due = afterDelay;
	if (settings.email.cadence === 'hourly') due = new Date(Math.ceil(afterDelay.getTime() / (60 * MINUTE)) * 60 * MINUTE);
	if (settings.email.cadence === 'daily') due = nextLocalTime(afterDelay, settings.timezone, settings.digest_hour * 60);
	return afterQuietHours(due, settings);
}

/** A push goes out at once, or when the quiet hours end. */
export function pushDueAt(createdAt: Date, settings: NotificationSettings): Date {
	return afterQuietHours(createdAt, settings);
}

/** Finished outbox rows that ended before this moment (epoch ms) are removed; null when `keepDays` is 0 (kept for ever). */
export function outboxCutoff(now: Date, keepDays: number): number | null {
	return keepDays > 0 ? now.getTime() - keepDays * DAY_MINUTES * MINUTE : null;
}

export interface Backoff {
	baseSeconds: number;
	maxSeconds: number;
}

/** Seconds before attempt `attempts + 1`: doubling from the base up to the cap, never sooner than the provider's Retry-After. */
export function retryDelaySeconds(attempts: number, backoff: Backoff, retryAfterSeconds: number | null = null): number {
	const doubled = Math.min(backoff.maxSeconds, backoff.baseSeconds * 2 ** Math.max(0, attempts - 1));
	return Math.max(doubled, retryAfterSeconds ?? 0);
}

/** A Retry-After header as seconds: a number of seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | null {
	if (!value) return null;
	if (/^\d+$/.test(value.trim())) return Number(value.trim());
	const at = Date.parse(value);
	return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}
