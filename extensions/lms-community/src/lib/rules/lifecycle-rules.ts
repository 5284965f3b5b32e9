import type { Knex } from 'knex';
import { InvalidStateError } from '../errors/index.js';
import { storedKeys } from './caller.js';
import type { RuleContext } from './post-rules.js';

/**
 * Deletes that would take other people's content with them are refused, for admins too: groups are archived
 * and then deleted by the explicit action that says what it removes, and replies never go with their thread.
 */

/** DELETE /items/community_groups (REST, the admin app, a Flow): never; DELETE /community/groups/:id is the way. */
export function refuseGroupDelete(): never {
	throw new InvalidStateError({
		reason:
			'Groups are not deleted directly: archive the group (POST /community/groups/archive), then DELETE /community/groups/:id, which says what it removes (docs/privacy.md).',
	});
}

/** A course whose group still exists is deleted with its group (DELETE /community/groups/:id with `course: true`). */
export async function handleCourseDelete(keys: Array<string | number>, { database }: RuleContext): Promise<Array<string | number>> {
	const groups: Array<{ id: number; course: number }> = await database('community_groups')
		.select('id', 'course')
		.whereIn('course', storedKeys(keys));
	if (groups.length > 0)
		throw new InvalidStateError({
			reason: `Course ${groups[0]!.course} has community group ${groups[0]!.id}: archive it, then DELETE /community/groups/${groups[0]!.id} with "course": true (docs/privacy.md).`,
		});
	return keys;
}

/** Thread starters whose replies are not deleted with them: a soft delete (`status: deleted`) keeps the thread. */
export async function assertNoOrphanedReplies(database: Knex, postIds: number[]): Promise<void> {
	const orphan = await database('community_posts').select('parent').whereIn('parent', postIds).whereNotIn('id', postIds).first();
	if (orphan)
		throw new InvalidStateError({
			reason: `Post ${orphan.parent} has replies by others: delete it with { "status": "deleted" }, which keeps its replies.`,
		});
}
