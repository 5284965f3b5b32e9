import { describe, expect, it } from 'vitest';
import { decideJoin, membershipAfterEnrollmentChange } from './membership.js';

const now = new Date('2026-06-01T12:00:00Z');
const active = { role: 'student' as const, status: 'active' as const, starts_at: null, expires_at: null };
const group = { status: 'active' as const };

describe('decideJoin', () => {
	it("follows the seed's order: enrollment, its state, its dates, the group, a ban", () => {
		expect(decideJoin({ group, enrollment: null, member: null }, now)).toEqual({ ok: false, refusal: 'NOT_ENROLLED' });
		expect(decideJoin({ group, enrollment: { ...active, status: 'pending_payment' }, member: null }, now)).toEqual({
			ok: false,
			refusal: 'ENROLLMENT_INACTIVE',
		});
		expect(decideJoin({ group, enrollment: { ...active, starts_at: '2026-07-01T00:00:00Z' }, member: null }, now)).toEqual({
			ok: false,
			refusal: 'ENROLLMENT_INACTIVE',
		});
		expect(decideJoin({ group, enrollment: { ...active, expires_at: '2026-05-01T00:00:00Z' }, member: null }, now)).toEqual({
			ok: false,
			refusal: 'ENROLLMENT_EXPIRED',
		});
		// Cancelled and expired: the state is the first reason.
		expect(
			decideJoin({ group, enrollment: { ...active, status: 'cancelled', expires_at: '2026-05-01T00:00:00Z' }, member: null }, now),
		).toEqual({ ok: false, refusal: 'ENROLLMENT_INACTIVE' });
		expect(decideJoin({ group: { status: 'archived' }, enrollment: active, member: { role: 'student', status: 'banned' } }, now)).toEqual({
			ok: false,
			refusal: 'GROUP_ARCHIVED',
		});
		expect(decideJoin({ group, enrollment: active, member: { role: 'student', status: 'banned' } }, now)).toEqual({
			ok: false,
			refusal: 'MEMBER_BANNED',
		});
	});

	it('gives teachers the instructor role, keeps a promoted moderator, and knows an existing member', () => {
		expect(decideJoin({ group, enrollment: { ...active, role: 'ta' }, member: null }, now)).toEqual({
			ok: true,
			role: 'instructor',
			alreadyMember: false,
		});
		expect(decideJoin({ group, enrollment: active, member: { role: 'moderator', status: 'left' } }, now)).toEqual({
			ok: true,
			role: 'moderator',
			alreadyMember: false,
		});
		expect(decideJoin({ group, enrollment: active, member: { role: 'student', status: 'muted' } }, now)).toEqual({
			ok: true,
			role: 'student',
			alreadyMember: true,
		});
	});
});

describe('membershipAfterEnrollmentChange', () => {
	it('expires reading members when access ends and restores only expired ones when it returns', () => {
		expect(membershipAfterEnrollmentChange('active', false)).toBe('expired');
		expect(membershipAfterEnrollmentChange('muted', false)).toBe('expired');
		expect(membershipAfterEnrollmentChange('banned', false)).toBe('banned');
		expect(membershipAfterEnrollmentChange('expired', true)).toBe('active');
		expect(membershipAfterEnrollmentChange('left', true)).toBe('left');
		expect(membershipAfterEnrollmentChange('banned', true)).toBe('banned');
	});
});
