import type { AccessScope } from './scope.js';

export type Filter = Record<string, unknown>;

/** Collections whose rows the bundle scopes to the caller (admins and the system see everything). */
export const SCOPED_COLLECTIONS = [
	'courses',
	'enrollments',
	'community_groups',
	'community_members',
	'community_posts',
	'community_post_reactions',
	'community_messages',
	'community_message_reactions',
	'community_message_receipts',
	'community_notifications',
	'community_reports',
] as const;

export type ScopedCollection = (typeof SCOPED_COLLECTIONS)[number];

export function isScopedCollection(collection: string): collection is ScopedCollection {
	return (SCOPED_COLLECTIONS as readonly string[]).includes(collection);
}

/** `_in` with an empty list matches nothing in Directus, which is what an empty scope means. */
const inIds = (ids: number[]): Filter => ({ _in: ids });

/**
 * The rows of `collection` the caller may read; docs/access.md describes the same rules.
 * Deleted posts are visible to nobody but admins.
 */
export function readFilterFor(collection: ScopedCollection, scope: AccessScope): Filter {
	const me = scope.userId;
	const inMyGroups: Filter = { group: inIds(scope.readableGroupIds) };
	switch (collection) {
		case 'courses':
			return { id: inIds(scope.enrolledCourseIds) };
		case 'enrollments':
			return { _or: [{ user: { _eq: me } }, { course: inIds(scope.taughtCourseIds) }] };
		case 'community_groups':
			return { _or: [{ id: inIds(scope.readableGroupIds) }, { course: inIds(scope.activeCourseIds) }] };
		case 'community_members':
		case 'community_message_receipts':
			return inMyGroups;
		case 'community_messages':
			return visibleMessages(scope);
		case 'community_message_reactions':
			return throughRelation('message', reactionsShownOn(scope));
		case 'community_posts':
			return visiblePosts(scope);
		case 'community_post_reactions':
			return throughRelation('post', visiblePosts(scope));
		case 'community_notifications':
			return { recipient: { _eq: me } };
		case 'community_reports':
			return { _or: [{ reporter: { _eq: me } }, { group: inIds(scope.moderatedGroupIds) }] };
	}
}

/** Messages of my groups; one hidden pending review only to its sender and the group's moderators. */
function visibleMessages(scope: AccessScope): Filter {
	return {
		_and: [
			{ group: inIds(scope.readableGroupIds) },
			{ _or: [{ hidden_at: { _null: true } }, { sender: { _eq: scope.userId } }, { group: inIds(scope.moderatedGroupIds) }] },
		],
	};
}

/** Messages whose reactions I see: a deleted message's tombstone carries none (as on the socket), but for moderators. */
function reactionsShownOn(scope: AccessScope): Filter {
	return {
		_and: [
			...(visibleMessages(scope)['_and'] as Filter[]),
			{ _or: [{ deleted_at: { _null: true } }, { group: inIds(scope.moderatedGroupIds) }] },
		],
	};
}

/**
 * Posts a member sees: published ones of their groups; their own drafts, pending, rejected and hidden posts;
 * and, in groups they moderate, the pending, rejected and hidden (reported) posts they have to work on.
 */
function visiblePosts(scope: AccessScope): Filter {
	const me = scope.userId;
	// Replies of threads that ask the caller to post first: none but their own ("post before you see replies").
	const gated: Filter[] = scope.gatedThreadIds.length
		? [{ _or: [{ parent: { _null: true } }, { parent: { _nin: scope.gatedThreadIds } }, { author: { _eq: me } }] }]
		: [];
	return {
		_and: [
			{ group: inIds(scope.readableGroupIds) },
			...gated,
			{
				_or: [
					{ status: { _eq: 'published' } },
					{ _and: [{ author: { _eq: me } }, { status: { _in: ['draft', 'pending', 'rejected', 'hidden'] } }] },
					{ _and: [{ status: { _in: ['pending', 'rejected', 'hidden'] } }, { group: inIds(scope.moderatedGroupIds) }] },
				],
			},
		],
	};
}

/**
 * The same filter, applied through a many-to-one field: Directus takes `_and`/`_or` only at the
 * top of a filter, so the relation key goes onto every leaf instead.
 */
export function throughRelation(field: string, filter: Filter): Filter {
	const out: Filter = {};
	const leaf: Filter = {};
	for (const [key, value] of Object.entries(filter)) {
		if (key === '_and' || key === '_or') out[key] = (value as Filter[]).map((part) => throughRelation(field, part));
		else leaf[key] = value;
	}
	if (Object.keys(leaf).length > 0) out[field] = leaf;
	return out;
}

/** People a caller may look up through `/users`: themself and those they share a group with. */
export function usersReadFilter(userId: string, coMemberIds: string[]): Filter {
	return { _or: [{ id: { _eq: userId } }, { id: { _in: coMemberIds } }] };
}

/** Profile fields of other people that members may read (no e-mail, tokens or settings). */
export const PUBLIC_PROFILE_FIELDS = ['id', 'first_name', 'last_name', 'avatar', 'title', 'status'] as const;
