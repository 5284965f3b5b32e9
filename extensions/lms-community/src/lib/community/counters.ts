import type { Knex } from 'knex';

/**
 * Counters recounted from their rows, after writes that remove rows in bulk (an account deleted, an erasure,
 * a post deleted outright): a recount is exact whatever happened before, and running it twice is harmless.
 */

/** `reaction_counts` of each post, from its reaction rows. */
export async function recountReactions(knex: Knex, postIds: number[]): Promise<void> {
	for (const post of new Set(postIds)) {
		const rows: Array<{ emoji: string; count: number | string }> = await knex('community_post_reactions')
			.select('emoji')
			.count({ count: '*' })
			.where({ post })
			.groupBy('emoji');
		const counts = Object.fromEntries(rows.map((row) => [row.emoji, Number(row.count)]));
		await knex('community_posts')
			.where({ id: post })
			.update({ reaction_counts: JSON.stringify(counts) });
	}
}

/** `reply_count` of each thread starter: its published replies. */
export async function recountReplies(knex: Knex, threadIds: number[]): Promise<void> {
	for (const thread of new Set(threadIds)) {
		const [row] = await knex('community_posts').where({ parent: thread, status: 'published' }).count({ count: '*' });
		await knex('community_posts')
			.where({ id: thread })
			.update({ reply_count: Number(row?.['count'] ?? 0) });
	}
}
