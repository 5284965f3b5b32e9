import { describe, expect, it } from 'vitest';
import { courseTimeZone } from './course-rules.js';
import { csvCell, nextDay, participationCsv, startOfDayIn, summariseActivity, tookNoPart, type ParticipationRow } from './participation.js';

describe('csvCell', () => {
	it('defuses formulas and quotes what needs quoting', () => {
		expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
		expect(csvCell('+1')).toBe("'+1");
		expect(csvCell('-2')).toBe("'-2");
		expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
		expect(csvCell('\tx')).toBe("'\tx");
		expect(csvCell('\rx')).toBe(`"'\rx"`);
		expect(csvCell('Doe, Jane')).toBe('"Doe, Jane"');
		expect(csvCell(null)).toBe('');
		expect(csvCell(3)).toBe('3');
		expect(csvCell('plain')).toBe('plain');
	});
});

describe('days in a time zone', () => {
	it('starts a day at local midnight, across daylight saving', () => {
		expect(startOfDayIn('2026-03-01', 'UTC').toISOString()).toBe('2026-03-01T00:00:00.000Z');
		expect(startOfDayIn('2026-03-01', 'Europe/Berlin').toISOString()).toBe('2026-02-28T23:00:00.000Z');
		expect(startOfDayIn('2026-07-01', 'Europe/Berlin').toISOString()).toBe('2026-06-30T22:00:00.000Z');
		expect(startOfDayIn('2026-03-29', 'America/New_York').toISOString()).toBe('2026-03-29T04:00:00.000Z');
		expect(nextDay('2026-02-28')).toBe('2026-03-01');
	});

	it('counts active days in the course zone, first and last activity', () => {
		const summary = summariseActivity(
			{ moments: ['2026-03-01T22:30:00Z', '2026-03-01T23:30:00Z', '2026-03-01 10:00:00'], viewDays: ['2026-03-05'] },
			'Europe/Berlin',
		);
		expect(summary).toEqual({ first_activity: '2026-03-01T10:00:00.000Z', last_activity: '2026-03-01T23:30:00.000Z', active_days: 3 });
		expect(summariseActivity({ moments: [], viewDays: [] }, 'UTC')).toEqual({ first_activity: null, last_activity: null, active_days: 0 });
	});

	it('counts days across a daylight-saving change in the course zone, not in UTC', () => {
		// Berlin moves to summer time on 2026-03-29: 22:30Z is 23:30 local before, 00:30 the next day after.
		const moments = ['2026-03-28T22:30:00Z', '2026-03-29T21:30:00Z', '2026-03-29T22:30:00Z'];
		expect(summariseActivity({ moments, viewDays: ['2026-03-30'] }, 'Europe/Berlin').active_days).toBe(3);
		expect(summariseActivity({ moments, viewDays: [] }, 'UTC').active_days).toBe(2);
		expect(startOfDayIn('2026-03-30', 'Europe/Berlin').toISOString()).toBe('2026-03-29T22:00:00.000Z');
		expect(startOfDayIn('2026-10-25', 'Europe/Berlin').toISOString()).toBe('2026-10-24T22:00:00.000Z');
		expect(startOfDayIn('2026-10-26', 'Europe/Berlin').toISOString()).toBe('2026-10-25T23:00:00.000Z');
	});

	it('falls back to UTC for a course without a known zone', () => {
		expect(courseTimeZone(null)).toBe('UTC');
		expect(courseTimeZone('Mars/Olympus')).toBe('UTC');
		expect(courseTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
	});
});

describe('participationCsv', () => {
	it('writes a header and one defused row per student', () => {
		const row: ParticipationRow = {
			user: 'u1',
			first_name: '=cmd',
			last_name: 'Doe',
			email: 'a@b.c',
			member_status: 'active',
			threads_started: 0,
			replies: 0,
			messages: 0,
			reactions_given: 0,
			reactions_received: 0,
			posts_viewed: 0,
			first_activity: null,
			last_activity: null,
			active_days: 0,
		};
		expect(tookNoPart(row)).toBe(true);
		expect(tookNoPart({ ...row, messages: 1 })).toBe(false);
		expect(participationCsv([row]).split('\r\n')).toEqual([
			'user,email,first_name,last_name,member_status,threads_started,replies,messages,reactions_given,reactions_received,posts_viewed,first_activity,last_activity,active_days',
			"u1,a@b.c,'=cmd,Doe,active,0,0,0,0,0,0,,,0",
			'',
		]);
	});
});
