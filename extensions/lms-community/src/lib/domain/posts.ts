/**
 * The life of a post, as pure rules: the status a member's write leaves a post in, and the group rules
 * (approval, thread locks, student threads) that every write must pass, on create and on every later
 * transition. The rule hooks load the facts and apply these.
 */

export type PostStatus = 'draft' | 'pending' | 'published' | 'rejected' | 'hidden' | 'deleted';

export type PostRefusal = 'THREAD_LOCKED' | 'STUDENT_POSTS_DISABLED' | 'PARENT_NOT_OPEN' | 'NOT_SUBMITTABLE';

export interface PostWriteFacts {
	/** The writer moderates the group (its instructors and moderators, admins): no review, no lock. */
	moderator: boolean;
	requirePostApproval: boolean;
	allowStudentPosts: boolean;
	/** A reply's thread starter; null when the post is a thread starter. */
	thread: { status: PostStatus; locked: boolean } | null;
}

/**
 * What the author does: create a post (as a draft or not), edit its title or body, or submit an existing
 * post (`status: "published"`): a draft, or a rejected post sent back for review.
 */
export type PostWrite = { kind: 'create'; draft: boolean } | { kind: 'edit'; from: PostStatus } | { kind: 'submit'; from: PostStatus };

export type PostDecision = { ok: true; status: PostStatus } | { ok: false; refusal: PostRefusal };

/** A rejected post is the seed's "draft with notes": its author edits and resubmits it like a draft. */
const SUBMITTABLE: readonly PostStatus[] = ['draft', 'rejected'];

/** What putting a post before the group needs: an open thread for a reply, student threads allowed for a starter. */
function submissionRefusal(facts: PostWriteFacts): PostRefusal | null {
	if (facts.thread) {
		if (facts.thread.status !== 'published') return 'PARENT_NOT_OPEN';
		if (facts.thread.locked && !facts.moderator) return 'THREAD_LOCKED';
		return null;
	}
	return facts.moderator || facts.allowStudentPosts ? null : 'STUDENT_POSTS_DISABLED';
}

/** A submission goes to review where the group asks for it, unless a moderator writes. */
const submittedStatus = (facts: PostWriteFacts): PostStatus => (facts.requirePostApproval && !facts.moderator ? 'pending' : 'published');

export function decidePostWrite(write: PostWrite, facts: PostWriteFacts): PostDecision {
	if (write.kind === 'edit') {
		if (facts.thread?.locked && !facts.moderator) return { ok: false, refusal: 'THREAD_LOCKED' };
		// Under approval, what members read has been reviewed: an edited published post is reviewed again.
		const backToReview = write.from === 'published' && submittedStatus(facts) === 'pending';
		return { ok: true, status: backToReview ? 'pending' : write.from };
	}
	if (write.kind === 'submit' && !SUBMITTABLE.includes(write.from)) return { ok: false, refusal: 'NOT_SUBMITTABLE' };
	const refusal = submissionRefusal(facts);
	if (refusal) return { ok: false, refusal };
	return { ok: true, status: write.kind === 'create' && write.draft ? 'draft' : submittedStatus(facts) };
}
