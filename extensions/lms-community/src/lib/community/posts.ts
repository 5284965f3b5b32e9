import type { Accountability } from '@directus/types';
import { courseTimeZone, dayIn } from '../domain/course-rules.js';
import { isAllowedReaction, ALLOWED_REACTIONS } from '../domain/limits.js';
import { extractMentions } from '../domain/text.js';
import { InvalidPayloadError, InvalidStateError, ForbiddenError } from '../errors/index.js';
import { nowIso } from '../rules/clock.js';
import { assertCanWrite, assertModerator, facts, flag, loadMemberContext, type PostRow } from '../rules/facts.js';
import { notifyAsSystem, type NotificationDraft } from '../rules/notifications.js';
import { readersOfReplies } from '../rules/reply-gate.js';
import { loadVisiblePost } from '../rules/visibility.js';
import { transactionWithActionsAfterCommit } from './after-commit.js';
import type { CommunityContext } from './context.js';

/** A post as the endpoints answer it: flags as booleans whatever the database stores. */
export function presentPost(post: PostRow): PostRow & { pinned: boolean; locked: boolean } {
	return { ...post, pinned: flag(post.pinned), locked: flag(post.locked) };
}

/** A post the caller can see, through ItemsService with their accountability (so the read guard applies). */
export async function readPostAs(context: CommunityContext, accountability: Accountability, postId: number): Promise<PostRow> {
	const posts = new context.services.ItemsService('community_posts', { schema: await context.getSchema(), accountability });
	const [post] = (await posts.readByQuery({ filter: { id: { _eq: postId } }, limit: 1 })) as PostRow[];
	if (!post) throw new ForbiddenError();
	return post;
}

async function postsAsSystem(context: CommunityContext) {
	return new context.services.ItemsService('community_posts', {
		knex: context.database,
		schema: await context.getSchema(),
		accountability: null,
	});
}

/** Notifications for a post that has just become visible to the group: its thread's author, and mentions. */
export function draftsForPublishedPost(post: PostRow, threadAuthor: string | null): NotificationDraft[] {
	const drafts: NotificationDraft[] = [];
	if (post.parent !== null && threadAuthor)
		drafts.push({
			recipient: threadAuthor,
			actor: post.author,
			group: post.group,
			type: 'post_reply',
			post: post.id,
			data: { thread: post.parent },
		});
	for (const user of extractMentions(post.body))
		drafts.push({ recipient: user, actor: post.author, group: post.group, type: 'mention', post: post.id });
	return drafts;
}

/** After a post is created or published: who to tell. */
export async function notifyForPost(context: CommunityContext, postId: number): Promise<void> {
	const knex = context.database;
	const post = await facts.post(knex, postId);
	if (!post) return;
	if (post.status === 'published') {
		const thread = post.parent === null ? null : await facts.post(knex, post.parent);
		// An edit approved after review publishes the post again: nobody hears twice of the same reply or mention.
		const told: Array<{ recipient: string; type: string }> = await knex('community_notifications')
			.select('recipient', 'type')
			.where({ post: post.id })
			.whereIn('type', ['post_reply', 'mention']);
		const already = new Set(told.map((row) => `${row.recipient}:${row.type}`));
		const drafts = draftsForPublishedPost(post, thread?.author ?? null).filter((draft) => !already.has(`${draft.recipient}:${draft.type}`));
		// Nobody hears of a reply they may not read yet ("post before you see replies").
		const readers = thread
			? await readersOfReplies(
					knex,
					thread,
					drafts.map((d) => d.recipient),
				)
			: null;
		await notifyAsSystem(context, knex, readers ? drafts.filter((d) => readers.has(d.recipient)) : drafts);
	} else if (post.status === 'pending') {
		const moderators: Array<{ user: string }> = await knex('community_members')
			.select('user')
			.where({ group: post.group, status: 'active' })
			.whereIn('role', ['instructor', 'moderator']);
		await notifyAsSystem(
			context,
			knex,
			moderators.map((m) => ({ recipient: m.user, actor: post.author, group: post.group, type: 'post_pending' as const, post: post.id })),
		);
	}
}

export type ModerationDecision = 'approve' | 'reject';

/** POST /community/posts/:id/approve|reject: the group's moderators (and admins), pending posts only. */
export async function moderatePost(
	context: CommunityContext,
	caller: { userId: string; admin: boolean },
	postId: number,
	decision: ModerationDecision,
	note: string | null,
): Promise<ReturnType<typeof presentPost>> {
	const knex = context.database;
	const { row: post, context: member } = await loadVisiblePost(knex, postId, caller.userId, caller.admin);
	assertModerator(member);
	const status = decision === 'approve' ? 'published' : 'rejected';
	// Conditional update: of two moderators acting at once, exactly one moves the post.
	const moved = await transactionWithActionsAfterCommit(context, async (trx, emitAfterCommit) => {
		const current = await trx('community_posts').where({ id: postId }).forUpdate().first();
		if (current.status !== 'pending') return false;
		const service = new context.services.ItemsService('community_posts', {
			knex: trx,
			schema: await context.getSchema({ database: trx }),
			accountability: null,
		});
		await service.updateOne(
			postId,
			{
				status,
				moderation_note: note,
				moderated_by: caller.userId,
				moderated_at: nowIso(),
				...(status === 'published' ? { last_activity_at: nowIso() } : {}),
			},
			emitAfterCommit,
		);
		return true;
	});
	if (!moved)
		throw new InvalidStateError({
			reason: `Only pending posts can be ${decision === 'approve' ? 'approved' : 'rejected'}; this one is ${(await facts.post(knex, postId))?.status}.`,
		});
	const updated = presentPost((await facts.post(knex, postId))!);
	// An author whose account is gone has no one to tell.
	if (post.author)
		await notifyAsSystem(context, knex, [
			{
				recipient: post.author,
				actor: caller.userId,
				group: post.group,
				type: decision === 'approve' ? 'post_approved' : 'post_rejected',
				post: postId,
				data: note ? { note } : null,
			},
		]);
	if (decision === 'approve') await notifyForPost(context, postId);
	return updated;
}

/** POST /community/posts/:id/pin|unpin|lock|unlock: moderators of the group, thread starters only. */
export async function setThreadFlag(
	context: CommunityContext,
	caller: { userId: string; admin: boolean },
	postId: number,
	field: 'pinned' | 'locked',
	value: boolean,
): Promise<ReturnType<typeof presentPost>> {
	const knex = context.database;
	const { row: post, context: member } = await loadVisiblePost(knex, postId, caller.userId, caller.admin);
	// Deleted posts are gone for moderation too, admins included.
	if (post.status === 'deleted') throw new ForbiddenError();
	assertModerator(member);
	if (post.parent !== null) throw new InvalidPayloadError({ reason: 'only thread starters are pinned or locked' });
	await (await postsAsSystem(context)).updateOne(postId, { [field]: value });
	return presentPost((await facts.post(knex, postId))!);
}

/** POST /community/posts/:id/view: one view per user per day; returns the post's view count. */
export async function recordView(
	context: CommunityContext,
	accountability: Accountability,
	userId: string,
	postId: number,
): Promise<number> {
	const post = await readPostAs(context, accountability, postId);
	// The course's day, not the server's: the participation report counts views per day in the group's zone.
	const group = await context.database('community_groups').where({ id: post.group }).first('timezone');
	const day = dayIn(nowIso(), courseTimeZone(group?.timezone))!;
	// One transaction: a parallel view of the same person waits on the unique row, then sees the count it made.
	return context.database.transaction(async (trx) => {
		const inserted = await trx('community_post_views')
			.insert({ post: post.id, user: userId, day })
			.onConflict(['post', 'user', 'day'])
			.ignore()
			.returning('id');
		if (inserted.length > 0) await trx('community_posts').where({ id: post.id }).increment('view_count', 1);
		const row = await trx('community_posts').select('view_count').where({ id: post.id }).first();
		return Number(row.view_count);
	});
}

export interface ReactionState {
	reaction_counts: Record<string, number>;
	mine: string[];
}

/**
 * POST and DELETE /community/posts/:id/reactions: idempotent, and `reaction_counts` stays exact under
 * concurrent reactions: the post row is locked, the reaction written, and the counts recounted from the
 * reaction rows, all in one transaction.
 */
export async function setReaction(
	context: CommunityContext,
	accountability: Accountability,
	caller: { userId: string; admin: boolean },
	postId: number,
	emoji: string,
	present: boolean,
): Promise<ReactionState> {
	if (!isAllowedReaction(emoji)) throw new InvalidPayloadError({ reason: `emoji: one of ${ALLOWED_REACTIONS.join(' ')}` });
	const post = await readPostAs(context, accountability, postId);
	if (post.status !== 'published') throw new InvalidStateError({ reason: 'Only published posts take reactions.' });
	const knex = context.database;
	assertCanWrite(await loadMemberContext(knex, post.group, caller.userId, caller.admin));

	const { state, added } = await knex.transaction(async (trx) => {
		await trx('community_posts').where({ id: postId }).forUpdate().first();
		let added = false;
		if (present) {
			const result = await trx('community_post_reactions')
				.insert({ post: postId, user: caller.userId, emoji, date_created: nowIso() })
				.onConflict(['post', 'user', 'emoji'])
				.ignore()
				.returning('id');
			added = result.length > 0;
		} else {
			await trx('community_post_reactions').where({ post: postId, user: caller.userId, emoji }).delete();
		}
		const rows: Array<{ emoji: string; count: number | string }> = await trx('community_post_reactions')
			.select('emoji')
			.count({ count: '*' })
			.where({ post: postId })
			.groupBy('emoji');
		const counts = Object.fromEntries(rows.map((r) => [r.emoji, Number(r.count)]));
		await trx('community_posts')
			.where({ id: postId })
			.update({ reaction_counts: JSON.stringify(counts) });
		const mine: Array<{ emoji: string }> = await trx('community_post_reactions')
			.select('emoji')
			.where({ post: postId, user: caller.userId });
		return { state: { reaction_counts: counts, mine: mine.map((m) => m.emoji).sort() }, added };
	});
	if (added && post.author)
		await notifyAsSystem(context, knex, [
			{ recipient: post.author, actor: caller.userId, group: post.group, type: 'post_reaction', post: postId, data: { emoji } },
		]);
	return state;
}
