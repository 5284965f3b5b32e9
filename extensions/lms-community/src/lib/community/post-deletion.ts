import type { Knex } from 'knex';
import { storedKeys } from '../rules/caller.js';
import { assertNoOrphanedReplies } from '../rules/lifecycle-rules.js';
import { recountReplies } from './counters.js';

/** Threads whose replies are being deleted outright, by reply id: filled by the delete filter, read by its action. */
const threadsOfDeleted = new Map<number, number>();

/** `community_posts.items.delete` filter (admins only may delete rows): no orphaned replies; remember their threads. */
export async function beforePostsDeleted(database: Knex, keys: Array<string | number>): Promise<void> {
	const ids = storedKeys(keys);
	await assertNoOrphanedReplies(database, ids);
	const replies: Array<{ id: number; parent: number }> = await database('community_posts')
		.select('id', 'parent')
		.whereIn('id', ids)
		.whereNotNull('parent');
	for (const reply of replies) threadsOfDeleted.set(Number(reply.id), Number(reply.parent));
}

/** Its action: the threads' `reply_count` recounted from the replies left. */
export async function afterPostsDeleted(database: Knex, keys: Array<string | number>): Promise<void> {
	const threads: number[] = [];
	for (const key of keys) {
		const thread = threadsOfDeleted.get(Number(key));
		threadsOfDeleted.delete(Number(key));
		if (thread !== undefined) threads.push(thread);
	}
	await recountReplies(database, threads);
}
