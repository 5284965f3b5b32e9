import { describe, expect, it } from 'vitest';
import { dayIn, isTimeZone, lockedReason, repliesGated, searchLanguage, seesGatedReplies, withinEditWindow } from './course-rules.js';

const now = new Date('2026-03-01T12:00:00Z');

describe('lockedReason', () => {
	it('locks at the group cut-off, then at the thread cut-off, and not before', () => {
		expect(lockedReason({ locks_at: null }, now)).toBeNull();
		expect(lockedReason({ locks_at: '2026-03-01T12:00:01Z' }, now)).toBeNull();
		expect(lockedReason({ locks_at: '2026-03-01T12:00:00Z' }, now)).toBe('GROUP_LOCKED');
		expect(lockedReason({ locks_at: '2026-03-01 11:00:00' }, now)).toBe('GROUP_LOCKED');
		expect(lockedReason({}, now, { locks_at: new Date('2026-02-01') })).toBe('THREAD_LOCKED');
		expect(lockedReason({ locks_at: 0 }, now, { locks_at: new Date('2026-02-01') })).toBe('GROUP_LOCKED');
		expect(lockedReason({}, now, null)).toBeNull();
	});
});

describe('withinEditWindow', () => {
	it('is open without a window and until the window has passed', () => {
		expect(withinEditWindow('2020-01-01T00:00:00Z', null, now)).toBe(true);
		expect(withinEditWindow('2020-01-01T00:00:00Z', 0, now)).toBe(true);
		expect(withinEditWindow('2026-03-01T11:55:00Z', 10, now)).toBe(true);
		expect(withinEditWindow('2026-03-01T11:50:00Z', 10, now)).toBe(false);
	});
});

describe('post before you see replies', () => {
	it('gates a thread by its own flag or its group, and lets moderators, the starter and repliers through', () => {
		expect(repliesGated({ post_before_replies: false }, { post_before_replies: 0 })).toBe(false);
		expect(repliesGated({ post_before_replies: 1 }, { post_before_replies: false })).toBe(true);
		expect(repliesGated({ post_before_replies: false }, { post_before_replies: true })).toBe(true);
		const student = { moderator: false, threadAuthor: false, hasPublishedReply: false };
		expect(seesGatedReplies(student)).toBe(false);
		expect(seesGatedReplies({ ...student, hasPublishedReply: true })).toBe(true);
		expect(seesGatedReplies({ ...student, threadAuthor: true })).toBe(true);
		expect(seesGatedReplies({ ...student, moderator: true })).toBe(true);
	});
});

describe('languages and time zones', () => {
	it('falls back to simple and knows IANA zones', () => {
		expect(searchLanguage('german')).toBe('german');
		expect(searchLanguage("simple'; drop")).toBe('simple');
		expect(isTimeZone('Europe/Berlin')).toBe(true);
		expect(isTimeZone('Mars/Olympus')).toBe(false);
		expect(dayIn('2026-03-01T23:30:00Z', 'Europe/Berlin')).toBe('2026-03-02');
		expect(dayIn('2026-03-01T23:30:00Z', 'UTC')).toBe('2026-03-01');
		expect(dayIn(null, 'UTC')).toBeNull();
	});
});
