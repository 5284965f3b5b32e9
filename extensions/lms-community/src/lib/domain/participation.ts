import { dayIn } from './course-rules.js';
import { timeOf } from '../rules/clock.js';

/**
 * The participation report for grading, as pure functions: counting a student's activity in a date range,
 * the days they were active in the course's time zone, and the CSV a gradebook imports (cells that a
 * spreadsheet would run as formulas are defused).
 */

export interface ParticipationRow {
	user: string;
	first_name: string | null;
	last_name: string | null;
	/** Only for the group's instructors with admin-app access, and admins (docs/access.md); else null. */
	email: string | null;
	member_status: string;
	threads_started: number;
	replies: number;
	messages: number;
	reactions_given: number;
	reactions_received: number;
	posts_viewed: number;
	first_activity: string | null;
	last_activity: string | null;
	active_days: number;
}

export const COUNTERS = ['threads_started', 'replies', 'messages', 'reactions_given', 'reactions_received', 'posts_viewed'] as const;
export type Counter = (typeof COUNTERS)[number];

/** A student's activity as moments; `viewDays` are days already (views are stored per day, in the course's zone). */
export interface Activity {
	moments: unknown[];
	viewDays: string[];
}

/** First and last moment (ISO) and the number of distinct days in `timeZone` with any activity. */
export function summariseActivity(
	activity: Activity,
	timeZone: string,
): Pick<ParticipationRow, 'first_activity' | 'last_activity' | 'active_days'> {
	const times = activity.moments.map(timeOf).filter((t): t is number => t !== null);
	const days = new Set(activity.viewDays);
	for (const time of times) days.add(dayIn(time, timeZone)!);
	return {
		first_activity: times.length ? new Date(Math.min(...times)).toISOString() : null,
		last_activity: times.length ? new Date(Math.max(...times)).toISOString() : null,
		active_days: days.size,
	};
}

/** A student took no part in the range: nothing counted at all. */
export const tookNoPart = (row: ParticipationRow): boolean => COUNTERS.every((counter) => row[counter] === 0) && row.active_days === 0;

/**
 * The instant a calendar day starts in a time zone (`2026-03-01` in Europe/Berlin is 2026-02-28T23:00Z):
 * report ranges are days of the course, not of the server.
 */
export function startOfDayIn(day: string, timeZone: string): Date {
	const [year, month, date] = day.split('-').map(Number) as [number, number, number];
	const utcMidnight = Date.UTC(year, month - 1, date);
	let guess = utcMidnight - offsetAt(utcMidnight, timeZone);
	// Once more at the guess: the offset may differ there (a daylight-saving change that night).
	guess = utcMidnight - offsetAt(guess, timeZone);
	return new Date(guess);
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone,
		hourCycle: 'h23',
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		second: '2-digit',
	}).formatToParts(new Date(instant));
	const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
	const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
	return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The day after a calendar day (YYYY-MM-DD). */
export function nextDay(day: string): string {
	const [year, month, date] = day.split('-').map(Number) as [number, number, number];
	return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
}

/** Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: defused with a leading `'` when it would start a formula, quoted when it needs to be. */
export function csvCell(value: unknown): string {
	let text = value === null || value === undefined ? '' : String(value);
	if (FORMULA_START.test(text)) text = `'${text}`;
	return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export const CSV_COLUMNS: ReadonlyArray<keyof ParticipationRow> = [
	'user',
	'email',
	'first_name',
	'last_name',
	'member_status',
	...COUNTERS,
	'first_activity',
	'last_activity',
	'active_days',
];

/** The report as CSV (RFC 4180, CRLF line ends), one row per student, the header first. */
export function participationCsv(rows: ParticipationRow[]): string {
	const lines = [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((column) => csvCell(row[column])).join(','))];
	return `${lines.join('\r\n')}\r\n`;
}
