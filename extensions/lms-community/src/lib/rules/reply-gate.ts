import type { Knex } from 'knex';
import type { MemberRole } from '../access/scope.js';
import { repliesGated, seesGatedReplies } from '../domain/course-rules.js';
import { facts, isModeratorRole, type MemberContext, type PostRow } from './facts.js';

/**
 * "Post before you see replies" (domain/course-rules.ts) on the paths that look at one row or one thread:
 * single posts (visibility.ts), notifications. Lists go through the read scope (access/load-scope.ts).
 */

export async function hasPublishedReply(knex: Knex, threadId: number, userId: string): Promise<boolean> {
	const row = await knex('community_posts').select('id').where({ parent: threadId, author: userId, status: 'published' }).first();
	return row !== undefined;
}

/** Whether the caller may read this post as far as the rule goes: thread starters and own replies always. */
export async function mayReadReply(knex: Knex, post: PostRow, context: MemberContext, userId: string): Promise<boolean> {
	if (post.parent === null || context.moderator || post.author === userId) return true;
	const thread = await facts.post(knex, post.parent);
	if (!thread || !repliesGated(context.group, thread)) return true;
	return seesGatedReplies({
		moderator: false,
		threadAuthor: thread.author === userId,
		hasPublishedReply: await hasPublishedReply(knex, thread.id, userId),
	});
}

/** Of `userIds`, those who may read the replies of `thread` now (the recipients a reply may notify). */
export async function readersOfReplies(knex: Knex, thread: PostRow, userIds: string[]): Promise<Set<string>> {
	const group = await facts.group(knex, thread.group);
	if (!group || !repliesGated(group, thread) || userIds.length === 0) return new Set(userIds);
	const [members, repliers] = await Promise.all([
		knex('community_members').select('user', 'role', 'status').where({ group: thread.group }).whereIn('user', userIds),
		knex('community_posts').distinct('author').where({ parent: thread.id, status: 'published' }).whereIn('author', userIds),
	]);
	const replied = new Set(repliers.map((row: { author: string }) => row.author));
	const moderators = new Set(
		(members as Array<{ user: string; role: MemberRole; status: string }>)
			.filter((m) => m.status === 'active' && isModeratorRole(m.role))
			.map((m) => m.user),
	);
	return new Set(
		userIds.filter((user) =>
			seesGatedReplies({ moderator: moderators.has(user), threadAuthor: thread.author === user, hasPublishedReply: replied.has(user) }),
		),
	);
}

/**
 * The threads of `groupIds` whose replies `userId` may not read yet: gated by the group or the thread, not
 * started by them, without a published reply of theirs. One query per kind of flag; the thread flag is
 * found through a partial index (setup/indexes.ts), so groups without the rule cost one index probe.
 */
export async function loadGatedThreadIds(knex: Knex, userId: string, groups: Array<{ id: number; gated: boolean }>): Promise<number[]> {
	if (groups.length === 0) return [];
	const notRepliedYet = (query: Knex.QueryBuilder) =>
		query
			.whereNull('t.parent')
			.where((author) => author.whereNull('t.author').orWhereNot('t.author', userId))
			.whereNotExists(
				knex('community_posts as r')
					.select(knex.raw('1'))
					.whereRaw('?? = ??', ['r.parent', 't.id'])
					.where('r.author', userId)
					.where('r.status', 'published'),
			);
	const gatedGroups = groups.filter((g) => g.gated).map((g) => g.id);
	const otherGroups = groups.filter((g) => !g.gated).map((g) => g.id);
	const [byGroup, byThread] = await Promise.all([
		gatedGroups.length ? notRepliedYet(knex('community_posts as t').select('t.id').whereIn('t.group', gatedGroups)) : [],
		otherGroups.length
			? notRepliedYet(knex('community_posts as t').select('t.id').whereIn('t.group', otherGroups).whereRaw('t.post_before_replies = true'))
			: [],
	]);
	return [...byGroup, ...byThread].map((row: { id: number | string }) => Number(row.id));
}
