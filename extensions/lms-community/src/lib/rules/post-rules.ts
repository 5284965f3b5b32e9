import type { Accountability } from '@directus/types';
import type { Knex } from 'knex';
import { lockedReason, withinEditWindow } from '../domain/course-rules.js';
import { LIMITS } from '../domain/limits.js';
import { decidePostWrite, type PostRefusal, type PostStatus, type PostWrite } from '../domain/posts.js';
import { checkBody } from '../domain/text.js';
import {
	AuthenticationRequiredError,
	BodyTooLongError,
	EditWindowClosedError,
	FieldNotAllowedError,
	ForbiddenError,
	GroupLockedError,
	InvalidPayloadError,
	InvalidReferenceError,
	InvalidStateError,
	NotOwnerError,
	StudentPostsDisabledError,
	ThreadLockedError,
} from '../errors/index.js';
import { callerOf, personWriting, singleKey, storedKeys } from './caller.js';
import { nowIso } from './clock.js';
import { assertCanWrite, assertModerator, facts, flag, type MemberContext, type PostRow } from './facts.js';
import { parseId, parseInput, withoutSelfReference } from './parse-input.js';
import { PostCreateInput, PostUpdateInput } from './schemas.js';
import { loadVisibleGroup, loadVisiblePost } from './visibility.js';

export interface RuleContext {
	database: Knex;
	accountability: Accountability | null;
}

/** A body that passed the checks, or the matching 400. */
export function requireBody(value: unknown, max: number): string {
	const checked = checkBody(value, max);
	if (checked.ok) return checked.text;
	if (checked.reason === 'too_long') throw new BodyTooLongError({ max });
	throw new InvalidPayloadError({ reason: `body: ${BODY_PROBLEMS[checked.reason]}` });
}

const BODY_PROBLEMS = {
	empty: 'must not be empty',
	not_text: 'must be text',
	control_character: 'must not contain control characters',
} as const;

const PARENT_EXPECTED = 'parent: must be a published thread starter of the same group';

const REFUSALS: Record<PostRefusal, () => Error> = {
	THREAD_LOCKED: () => new ThreadLockedError(),
	STUDENT_POSTS_DISABLED: () => new StudentPostsDisabledError(),
	PARENT_NOT_OPEN: () => new InvalidReferenceError({ reason: PARENT_EXPECTED }),
	NOT_SUBMITTABLE: () => new InvalidStateError({ reason: 'Only drafts and rejected posts are published by their author.' }),
};

/** The status a member's write leaves a post in (domain/posts.ts), or the error of the rule it breaks. */
function statusAfter(write: PostWrite, context: MemberContext, thread: PostRow | null | undefined): PostStatus {
	const decision = decidePostWrite(write, {
		moderator: context.moderator,
		requirePostApproval: flag(context.group.require_post_approval),
		allowStudentPosts: flag(context.group.allow_student_posts),
		// A reply whose thread row is gone has no open thread.
		thread: thread === null ? null : { status: thread?.status ?? 'deleted', locked: flag(thread?.locked) },
	});
	if (decision.ok) return decision.status;
	throw REFUSALS[decision.refusal]();
}

/**
 * A group's or thread's cut-off (domain/course-rules.ts) stops new posts, replies and submissions of members;
 * moderators still write (an announcement after the deadline), as with a locked thread.
 */
function assertNotCutOff(context: MemberContext, thread: PostRow | null | undefined): void {
	if (context.moderator) return;
	const reason = lockedReason(context.group, new Date(), thread);
	if (reason === 'GROUP_LOCKED') throw new GroupLockedError();
	if (reason === 'THREAD_LOCKED') throw new ThreadLockedError();
}

/** Thread rules (post first, cut-off) are set by moderators, on thread starters only. */
function threadRules(
	input: { post_before_replies?: boolean | undefined; locks_at?: string | null | undefined },
	context: MemberContext,
	isThread: boolean,
) {
	const rules: Record<string, unknown> = {};
	if (input.post_before_replies !== undefined) rules['post_before_replies'] = input.post_before_replies;
	if (input.locks_at !== undefined) rules['locks_at'] = input.locks_at;
	if (Object.keys(rules).length === 0) return rules;
	assertModerator(context);
	if (!isThread) throw new InvalidPayloadError({ reason: 'post_before_replies and locks_at are set on thread starters only' });
	return rules;
}

/** `reply_count` and `last_activity_at` of the thread starter move in the same transaction as the reply. */
async function bumpThread(trx: Knex, parentId: number, delta: number): Promise<void> {
	const update: Record<string, unknown> = { reply_count: trx.raw('?? + ?', ['reply_count', delta]) };
	if (delta > 0) update['last_activity_at'] = nowIso();
	await trx('community_posts').where({ id: parentId }).update(update);
}

/**
 * Creating a post. Members: the author is the caller; only group, parent, title, body and a draft/published
 * wish are theirs to send; replies go to a published thread starter of the same group, not a locked one
 * (moderators excepted); students start threads only where the group allows it; with approval on, their
 * published wish becomes `pending`. Admins and the system write what they send, with the same body rules.
 */
export async function handlePostCreate(
	payload: Record<string, unknown>,
	{ database: trx, accountability }: RuleContext,
): Promise<Record<string, unknown>> {
	const caller = callerOf(accountability);
	if (caller.kind === 'anonymous') throw new AuthenticationRequiredError();
	const now = nowIso();
	if (caller.kind !== 'user') {
		const post: Record<string, unknown> = {
			...payload,
			last_activity_at: payload['last_activity_at'] ?? now,
			reaction_counts: payload['reaction_counts'] ?? {},
		};
		if (post['body'] !== undefined) post['body'] = requireBody(post['body'], LIMITS.postBody);
		if (!post['author'] && caller.kind === 'admin') post['author'] = caller.userId;
		if (post['parent'] && (post['status'] ?? 'published') === 'published') await bumpThread(trx, parseId(post['parent'], 'parent'), 1);
		return post;
	}

	const input = parseInput(PostCreateInput, withoutSelfReference(payload, 'author', caller.userId));
	if (input.status !== undefined && input.status !== 'draft' && input.status !== 'published')
		throw new FieldNotAllowedError({ fields: ['status'] });
	const context = await loadVisibleGroup(trx, input.group, caller.userId, false);
	assertCanWrite(context);

	let thread: PostRow | null = null;
	if (input.parent) {
		thread = (await facts.post(trx, input.parent)) ?? null;
		if (!thread || thread.group !== input.group || thread.parent !== null) throw new InvalidReferenceError({ reason: PARENT_EXPECTED });
	} else if (!input.title) {
		throw new InvalidPayloadError({ reason: 'title: a thread starter needs a title' });
	}
	const rules = threadRules(input, context, !input.parent);
	const status = statusAfter({ kind: 'create', draft: input.status === 'draft' }, context, thread);
	assertNotCutOff(context, thread);
	if (input.parent && status === 'published') await bumpThread(trx, input.parent, 1);

	return {
		group: input.group,
		parent: input.parent ?? null,
		title: input.parent ? null : input.title,
		body: requireBody(input.body, LIMITS.postBody),
		status,
		author: caller.userId,
		pinned: false,
		locked: false,
		view_count: 0,
		reply_count: 0,
		reaction_counts: {},
		last_activity_at: now,
		...rules,
	};
}

/**
 * Changing posts. Authors edit title and body (marking `edited_at`), submit their drafts and rejected posts,
 * and delete their posts; every edit and submission passes the group's rules again (domain/posts.ts: review,
 * locks, student threads). The group's moderators delete any post and pin or lock threads. Deleted posts
 * stay deleted. Approval and rejection go through /community/posts/:id/approve|reject, not a status write.
 */
export async function handlePostUpdate(
	payload: Record<string, unknown>,
	keys: Array<string | number>,
	{ database: trx, accountability }: RuleContext,
): Promise<Record<string, unknown>> {
	const userId = personWriting(accountability);
	if (userId === null) {
		const update = { ...payload };
		if (update['body'] !== undefined) update['body'] = requireBody(update['body'], LIMITS.postBody);
		if (typeof update['status'] === 'string') {
			const posts = (await trx<PostRow>('community_posts').whereIn('id', storedKeys(keys))) as PostRow[];
			for (const post of posts) await adjustThreadForStatus(trx, post, update['status'] as PostRow['status']);
		}
		return update;
	}

	// Deleted posts are hidden from members: editing one answers like a post that does not exist.
	const { row: post, context } = await loadVisiblePost(trx, singleKey(keys, 'post'), userId, false);
	const input = parseInput(PostUpdateInput, payload);
	if (input.status !== undefined && input.status !== 'deleted' && input.status !== 'published')
		throw new FieldNotAllowedError({ fields: ['status'] });
	const isAuthor = post.author === userId;
	if (!isAuthor && !context.moderator) throw new ForbiddenError();

	const update: Record<string, unknown> = {};
	if (input.pinned !== undefined || input.locked !== undefined) {
		assertModerator(context);
		if (post.parent !== null) throw new InvalidPayloadError({ reason: 'only thread starters are pinned or locked' });
		if (input.pinned !== undefined) update['pinned'] = input.pinned;
		if (input.locked !== undefined) update['locked'] = input.locked;
	}
	Object.assign(update, threadRules(input, context, post.parent === null));
	const edits = input.title !== undefined || input.body !== undefined;
	if (edits || input.status === 'published') {
		if (!isAuthor) throw new NotOwnerError();
		assertCanWrite(context);
		const thread = post.parent === null ? null : await facts.post(trx, post.parent);
		const write: PostWrite = input.status === 'published' ? { kind: 'submit', from: post.status } : { kind: 'edit', from: post.status };
		const status = statusAfter(write, context, thread);
		if (status !== post.status) update['status'] = status;
		if (write.kind === 'submit') assertNotCutOff(context, thread);
		const window = context.group.edit_window_minutes;
		// Drafts are not out yet: the window runs from the moment a post was written, for what others may have read.
		if (edits && !context.moderator && post.status !== 'draft' && !withinEditWindow(post.date_created, window, new Date()))
			throw new EditWindowClosedError({ minutes: window ?? 0 });
	}
	if (edits) {
		if (input.body !== undefined) update['body'] = requireBody(input.body, LIMITS.postBody);
		if (input.title !== undefined) {
			if (post.parent === null && !input.title) throw new InvalidPayloadError({ reason: 'title: a thread starter needs a title' });
			update['title'] = post.parent === null ? input.title : null;
		}
		update['edited_at'] = nowIso();
		update['last_activity_at'] = update['edited_at'];
	}
	if (input.status === 'deleted') {
		if (!isAuthor) assertModerator(context);
		update['status'] = 'deleted';
	}
	if (typeof update['status'] === 'string') await adjustThreadForStatus(trx, post, update['status'] as PostRow['status']);
	return update;
}

/** A reply entering or leaving `published` moves its thread's reply count. */
export async function adjustThreadForStatus(trx: Knex, post: PostRow, next: PostRow['status']): Promise<void> {
	if (post.parent === null || post.status === next) return;
	if (next === 'published') await bumpThread(trx, post.parent, 1);
	else if (post.status === 'published') await bumpThread(trx, post.parent, -1);
}
