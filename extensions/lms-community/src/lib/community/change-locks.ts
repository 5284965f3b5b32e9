import type { Knex } from 'knex';
import { isPostgres } from '../setup/search-index.js';

/**
 * Bulk writes to chat messages on PostgreSQL take their locks in the change cursor's order (setup/change-cursor.ts):
 * every message they will change first, by id, then those messages' groups, by id. The triggers lock a message,
 * then its group; a bulk statement that changed message after message would hold a group while waiting for the next
 * message, and a member's edit of that message (holding it, waiting for the group) would deadlock with it.
 *
 * Updates lock the messages FOR NO KEY UPDATE, as the triggers do: a send replying to one (which holds its group,
 * then checks the foreign key) is not held up. A purge deletes, which needs FOR UPDATE and takes no group lock
 * (deleting messages numbers nothing). SQLite has one writer at a time and needs none of this.
 */
export async function lockMessagesThenGroups(
	trx: Knex.Transaction,
	messages: Knex.QueryBuilder,
	purpose: 'update' | 'delete',
): Promise<void> {
	if (!isPostgres(trx)) return;
	const rows = messages.clone().clearSelect().clearOrder().select('id', 'group').orderBy('id');
	const locked: Array<{ group: number }> = await (purpose === 'delete' ? rows.forUpdate() : rows.forNoKeyUpdate());
	if (purpose === 'delete') return;
	const groups = [...new Set(locked.map((row) => Number(row.group)))].sort((a, b) => a - b);
	if (groups.length > 0) await trx('community_groups').whereIn('id', groups).orderBy('id').forUpdate().select('id');
}

/**
 * A bulk transaction that PostgreSQL ended as a deadlock's victim (40P01: rolled back whole) runs again. The lock
 * order above leaves only rare cases (a member removing a reaction of a message being purged, whose cascade must
 * wait for that reaction's row); a member's request that loses instead answers 503 with retry_after (errors/unavailable.ts).
 */
export async function retryingDeadlocks<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await work();
		} catch (error) {
			if (attempt >= attempts || (error as { code?: unknown })?.code !== '40P01') throw error;
		}
	}
}
