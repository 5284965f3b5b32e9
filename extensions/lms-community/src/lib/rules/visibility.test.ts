import { describe, expect, it } from 'vitest';
import type { MemberContext, MemberRow, PostRow } from './facts.js';
import { Id, MAX_ID } from './schemas.js';
import { readsGroup, seesMessage, seesPost, seesReport } from './visibility.js';

const context = (member: Partial<MemberRow> | null, extra: Partial<MemberContext> = {}): MemberContext => {
	const row = member ? ({ role: 'student', status: 'active', ...member } as MemberRow) : null;
	const active = row?.status === 'active';
	return {
		group: {} as MemberContext['group'],
		member: row,
		admin: false,
		moderator: active && (row!.role === 'instructor' || row!.role === 'moderator'),
		instructor: active && row!.role === 'instructor',
		...extra,
	};
};
const post = (status: PostRow['status'], author = 'someone') => ({ status, author });

describe('seesPost, seesMessage, seesReport: the read rules of docs/access.md for one row', () => {
	it('only active and muted members read a group', () => {
		expect(['active', 'muted', 'banned', 'left', 'expired'].map((status) => readsGroup(context({ status } as MemberRow)))).toEqual([
			true,
			true,
			false,
			false,
			false,
		]);
		expect(readsGroup(context(null))).toBe(false);
		expect(readsGroup(context(null, { admin: true }))).toBe(true);
	});

	it('posts: published ones, your own unpublished ones, those under review to moderators; deleted ones to admins only', () => {
		const member = context({});
		const moderator = context({ role: 'moderator' });
		const statuses: PostRow['status'][] = ['published', 'draft', 'pending', 'rejected', 'hidden', 'deleted'];
		const seen = (who: MemberContext, author = 'someone') => statuses.filter((status) => seesPost(who, post(status, author), 'me'));
		expect(seen(member)).toEqual(['published']);
		expect(seen(member, 'me')).toEqual(['published', 'draft', 'pending', 'rejected', 'hidden']);
		expect(seen(moderator)).toEqual(['published', 'pending', 'rejected', 'hidden']);
		expect(seen(context({ status: 'left' }), 'me')).toEqual([]);
		expect(seen(context(null, { admin: true, moderator: true }))).toEqual(statuses);
	});

	it('messages: hidden ones only to their sender and moderators; nothing of a group you do not read', () => {
		const hidden = { sender: 'someone', hidden_at: '2025-01-01T00:00:00Z' };
		expect(seesMessage(context({}), { sender: 'someone', hidden_at: null }, 'me')).toBe(true);
		expect(seesMessage(context({}), hidden, 'me')).toBe(false);
		expect(seesMessage(context({}), { ...hidden, sender: 'me' }, 'me')).toBe(true);
		expect(seesMessage(context({ role: 'instructor' }), hidden, 'me')).toBe(true);
		expect(seesMessage(context({ status: 'banned' }), { sender: 'me', hidden_at: null }, 'me')).toBe(false);
	});

	it('reports: your own, and those of groups you moderate', () => {
		expect(seesReport(context({}), { reporter: 'me' }, 'me')).toBe(true);
		expect(seesReport(context({ status: 'left' }), { reporter: 'me' }, 'me')).toBe(true);
		expect(seesReport(context({}), { reporter: 'someone' }, 'me')).toBe(false);
		expect(seesReport(context({ role: 'moderator' }), { reporter: 'someone' }, 'me')).toBe(true);
		expect(seesReport(context({ role: 'moderator', status: 'muted' }), { reporter: 'someone' }, 'me')).toBe(false);
	});
});

describe('Id', () => {
	it('takes JSON integers and digit strings from 1 to the PostgreSQL integer maximum', () => {
		expect([7, '7', '007', MAX_ID, String(MAX_ID)].map((value) => Id.parse(value))).toEqual([7, 7, 7, MAX_ID, MAX_ID]);
	});

	it('refuses everything else, before any query', () => {
		const refused = [
			0,
			-1,
			1.5,
			MAX_ID + 1,
			1e20,
			Number.NaN,
			Infinity,
			'1e20',
			'99999999999999999999',
			'-1',
			'1.5',
			'',
			' 7',
			'0x10',
			'abc',
			true,
			null,
			[1],
			{ id: 1 },
		];
		expect(refused.filter((value) => Id.safeParse(value).success)).toEqual([]);
	});
});
