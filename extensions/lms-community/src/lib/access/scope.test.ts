import { describe, expect, it } from 'vitest';
import { buildAccessScope, enrollmentGivesAccess } from './scope.js';

const now = new Date('2026-06-01T12:00:00Z');

describe('enrollmentGivesAccess', () => {
	it('needs an active enrollment that has started and not expired', () => {
		expect(enrollmentGivesAccess({ status: 'active', starts_at: null, expires_at: null }, now)).toBe(true);
		expect(enrollmentGivesAccess({ status: 'active', starts_at: '2026-05-01T00:00:00Z', expires_at: '2026-07-01T00:00:00Z' }, now)).toBe(
			true,
		);
		expect(enrollmentGivesAccess({ status: 'active', starts_at: '2026-06-02T00:00:00Z', expires_at: null }, now)).toBe(false);
		expect(enrollmentGivesAccess({ status: 'active', starts_at: null, expires_at: '2026-06-01T12:00:00Z' }, now)).toBe(false);
		expect(enrollmentGivesAccess({ status: 'active', starts_at: null, expires_at: now.getTime() + 1 }, now)).toBe(true);
		for (const status of ['pending_payment', 'suspended', 'cancelled', 'completed'] as const) {
			expect(enrollmentGivesAccess({ status, starts_at: null, expires_at: null }, now), status).toBe(false);
		}
	});
});

describe('buildAccessScope', () => {
	it('splits memberships and enrollments into the id lists the row filters use', () => {
		const scope = buildAccessScope(
			'u1',
			[
				{ group: 1, course: 10, role: 'student', status: 'active' },
				{ group: 2, course: 10, role: 'moderator', status: 'active' },
				{ group: 3, course: 11, role: 'instructor', status: 'muted' },
				{ group: 4, course: 10, role: 'student', status: 'banned' },
				{ group: 5, course: 12, role: 'instructor', status: 'expired' },
				// Expired a moment ago: the sweep has not marked it yet, the scope already ignores it.
				{ group: 6, course: 12, role: 'instructor', status: 'active' },
				{ group: 7, course: 11, role: 'instructor', status: 'active' },
			],
			[
				{ course: 10, role: 'student', status: 'active', starts_at: null, expires_at: null },
				{ course: 11, role: 'instructor', status: 'active', starts_at: null, expires_at: null },
				{ course: 12, role: 'ta', status: 'active', starts_at: null, expires_at: '2026-01-01T00:00:00Z' },
				{ course: 13, role: 'student', status: 'pending_payment', starts_at: null, expires_at: null },
			],
			now,
		);
		expect(scope).toEqual({
			userId: 'u1',
			readableGroupIds: [1, 2, 3, 7],
			moderatedGroupIds: [2, 7],
			taughtGroupIds: [7],
			enrolledCourseIds: [10, 11, 12, 13],
			activeCourseIds: [10, 11],
			taughtCourseIds: [11],
			gatedThreadIds: [],
		});
	});
});
