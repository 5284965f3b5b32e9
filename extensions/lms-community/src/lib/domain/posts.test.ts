import { describe, expect, it } from 'vitest';
import { decidePostWrite, type PostStatus, type PostWriteFacts } from './posts.js';

const student: PostWriteFacts = { moderator: false, requirePostApproval: false, allowStudentPosts: true, thread: null };
const moderator: PostWriteFacts = { ...student, moderator: true };
const openThread = { status: 'published' as const, locked: false };
const lockedThread = { status: 'published' as const, locked: true };
const STATUSES: PostStatus[] = ['draft', 'pending', 'published', 'rejected', 'hidden', 'deleted'];

describe('decidePostWrite: creating', () => {
	it('publishes, or stores a draft, or sends to review under approval unless a moderator writes', () => {
		expect(decidePostWrite({ kind: 'create', draft: false }, student)).toEqual({ ok: true, status: 'published' });
		expect(decidePostWrite({ kind: 'create', draft: true }, student)).toEqual({ ok: true, status: 'draft' });
		const approval = { ...student, requirePostApproval: true };
		expect(decidePostWrite({ kind: 'create', draft: false }, approval)).toEqual({ ok: true, status: 'pending' });
		expect(decidePostWrite({ kind: 'create', draft: true }, approval)).toEqual({ ok: true, status: 'draft' });
		expect(decidePostWrite({ kind: 'create', draft: false }, { ...approval, moderator: true })).toEqual({ ok: true, status: 'published' });
	});

	it('holds the group rules for drafts too: open threads, no locked ones, student threads where allowed', () => {
		for (const draft of [false, true]) {
			const write = { kind: 'create' as const, draft };
			expect(decidePostWrite(write, { ...student, thread: lockedThread })).toEqual({ ok: false, refusal: 'THREAD_LOCKED' });
			expect(decidePostWrite(write, { ...moderator, thread: lockedThread }).ok).toBe(true);
			expect(decidePostWrite(write, { ...student, thread: { status: 'pending', locked: false } })).toEqual({
				ok: false,
				refusal: 'PARENT_NOT_OPEN',
			});
			expect(decidePostWrite(write, { ...student, allowStudentPosts: false })).toEqual({ ok: false, refusal: 'STUDENT_POSTS_DISABLED' });
			expect(decidePostWrite(write, { ...student, allowStudentPosts: false, thread: openThread }).ok).toBe(true);
			expect(decidePostWrite(write, { ...moderator, allowStudentPosts: false }).ok).toBe(true);
		}
	});
});

describe('decidePostWrite: submitting an existing post', () => {
	it('takes drafts and rejected posts only, under the same rules as a new post', () => {
		const submit = (from: PostStatus, facts: PostWriteFacts = student) => decidePostWrite({ kind: 'submit', from }, facts);
		expect(STATUSES.filter((from) => submit(from).ok)).toEqual(['draft', 'rejected']);
		expect(submit('published')).toEqual({ ok: false, refusal: 'NOT_SUBMITTABLE' });
		expect(submit('rejected', { ...student, requirePostApproval: true })).toEqual({ ok: true, status: 'pending' });
		expect(submit('rejected')).toEqual({ ok: true, status: 'published' });
		expect(submit('draft', { ...student, thread: lockedThread })).toEqual({ ok: false, refusal: 'THREAD_LOCKED' });
		expect(submit('draft', { ...student, thread: { status: 'deleted', locked: false } })).toEqual({
			ok: false,
			refusal: 'PARENT_NOT_OPEN',
		});
		expect(submit('draft', { ...student, allowStudentPosts: false })).toEqual({ ok: false, refusal: 'STUDENT_POSTS_DISABLED' });
		expect(submit('draft', { ...moderator, allowStudentPosts: false, requirePostApproval: true })).toEqual({
			ok: true,
			status: 'published',
		});
	});
});

describe('decidePostWrite: editing', () => {
	it("sends a student's edit of a published post back to review under approval; moderators' edits stay published", () => {
		const edit = (from: PostStatus, facts: PostWriteFacts) => decidePostWrite({ kind: 'edit', from }, facts);
		const approval = { ...student, requirePostApproval: true };
		expect(STATUSES.map((from) => edit(from, approval))).toEqual(
			['draft', 'pending', 'pending', 'rejected', 'hidden', 'deleted'].map((status) => ({ ok: true, status })),
		);
		expect(STATUSES.map((from) => edit(from, student))).toEqual(STATUSES.map((status) => ({ ok: true, status })));
		expect(edit('published', { ...approval, moderator: true })).toEqual({ ok: true, status: 'published' });
	});

	it('refuses edits of replies in a locked thread, except to moderators; thread starters stay editable', () => {
		const edit = (facts: PostWriteFacts) => decidePostWrite({ kind: 'edit', from: 'published' }, facts);
		expect(edit({ ...student, thread: lockedThread })).toEqual({ ok: false, refusal: 'THREAD_LOCKED' });
		expect(edit({ ...moderator, thread: lockedThread })).toEqual({ ok: true, status: 'published' });
		expect(edit({ ...student, thread: openThread })).toEqual({ ok: true, status: 'published' });
		expect(edit(student)).toEqual({ ok: true, status: 'published' });
	});
});
