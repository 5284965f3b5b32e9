import type { Knex } from 'knex';
import { recountReactions } from './counters.js';
import { refreshMemberCount } from './membership.js';
import { PERSON_DATA, personRows } from './person-data.js';
import { pseudonymFor, recordPrivacyAction } from './privacy-log.js';

/**
 * Deleting a Directus user never deletes other people's content, nor their own: the schema's rules
 * (snapshots/community.yaml) empty `author`, `sender` and `reporter` and delete the person's reactions, views,
 * memberships, read markers and notifications in the delete's own transaction. Around it, this module names
 * their kept content with a pseudonym (before: afterwards nothing says whose it was) and recounts what the
 * removed rows counted (after).
 */

interface PendingDeletion {
	pseudonym: string;
	reactedPosts: number[];
	memberships: Array<{ group: number; status: string }>;
	counts: Record<string, number>;
}

/** Filled by the `users.delete` filter, read by its action: same process, a moment apart. */
const pending = new Map<string, PendingDeletion>();

const countOf = async (query: Knex.QueryBuilder) =>
	Number((await query.clone().clearSelect().count({ count: '*' }).first())?.['count'] ?? 0);

/**
 * `users.delete` filter: gives each person's posts and messages their pseudonym and remembers what the
 * cascade will remove. If the delete then fails, the pseudonym stays unused beside a living author.
 */
export async function beforeAccountsDeleted(knex: Knex, userIds: string[]): Promise<void> {
	for (const userId of userIds) {
		const pseudonym = await pseudonymFor(knex, userId);
		const person = { userId, pseudonyms: [] };
		const posts = await personRows(knex, PERSON_DATA.posts, person).update({ author_pseudonym: pseudonym });
		const messages = await personRows(knex, PERSON_DATA.messages, person).update({ sender_pseudonym: pseudonym });
		const reacted: Array<{ post: number }> = await knex('community_post_reactions').distinct('post').where({ user: userId });
		const memberships = await knex('community_members').select('group', 'status').where({ user: userId });
		pending.set(userId, {
			pseudonym,
			reactedPosts: reacted.map((row) => Number(row.post)),
			memberships,
			counts: {
				posts_kept: posts,
				messages_kept: messages,
				reports_kept: await countOf(personRows(knex, PERSON_DATA.reports, person)),
				reactions_removed: await countOf(personRows(knex, PERSON_DATA.reactions, person)),
				post_views_removed: await countOf(personRows(knex, PERSON_DATA.post_views, person)),
				memberships_removed: memberships.length,
				read_markers_removed: await countOf(personRows(knex, PERSON_DATA.read_markers, person)),
				notifications_removed: await countOf(personRows(knex, PERSON_DATA.notifications, person)),
			},
		});
	}
}

/** `users.delete` action, after the commit: recounts and records the deletion (their sockets end with the account). */
export async function afterAccountsDeleted(knex: Knex, userIds: string[], actor: string | null): Promise<void> {
	for (const userId of userIds) {
		const deletion = pending.get(userId);
		if (!deletion) continue;
		pending.delete(userId);
		await recountReactions(knex, deletion.reactedPosts);
		const counted = deletion.memberships.filter((m) => m.status === 'active' || m.status === 'muted');
		for (const group of new Set(counted.map((m) => Number(m.group)))) await refreshMemberCount(knex, group);
		await recordPrivacyAction(knex, {
			action: 'user_deleted',
			subject: userId,
			actor,
			counts: deletion.counts,
			detail: { pseudonym: deletion.pseudonym },
		});
	}
}
