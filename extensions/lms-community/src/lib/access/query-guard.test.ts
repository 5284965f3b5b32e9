import type { SchemaOverview } from '@directus/types';
import { describe, expect, it } from 'vitest';
import { guardReadQuery, guardUsersQuery } from './query-guard.js';
import type { AccessScope } from './scope.js';

const relation = (collection: string, field: string, related: string, oneField: string | null = null) =>
	({ collection, field, related_collection: related, schema: null, meta: { one_field: oneField } }) as SchemaOverview['relations'][number];

const schema = {
	collections: {},
	relations: [
		relation('community_posts', 'group', 'community_groups', 'posts'),
		relation('community_posts', 'author', 'directus_users'),
		relation('community_posts', 'parent', 'community_posts', 'replies'),
		relation('community_members', 'group', 'community_groups', 'members'),
		relation('community_members', 'user', 'directus_users'),
		relation('community_groups', 'course', 'courses'),
	],
} as SchemaOverview;

const scope: AccessScope = {
	userId: 'me',
	readableGroupIds: [1],
	moderatedGroupIds: [],
	enrolledCourseIds: [5],
	activeCourseIds: [5],
	taughtCourseIds: [],
};
const postsFilter = {
	_and: [
		{ group: { _in: [1] } },
		{
			_or: [
				{ status: { _eq: 'published' } },
				{ _and: [{ author: { _eq: 'me' } }, { status: { _in: ['draft', 'pending', 'rejected', 'hidden'] } }] },
				{ _and: [{ status: { _in: ['pending', 'rejected', 'hidden'] } }, { group: { _in: [] } }] },
			],
		},
	],
};

describe('guardReadQuery', () => {
	it("ANDs the row filter onto the caller's own filter", () => {
		const guarded = guardReadQuery('community_members', { filter: { body: { _contains: 'x' } }, fields: ['id'] }, scope, schema);
		expect(guarded.filter).toEqual({ _and: [{ body: { _contains: 'x' } }, { group: { _in: [1] } }] });
		expect(guarded.fields).toEqual(['id']);
	});

	it('filters one-to-many expansions through deep, at any depth and behind wildcards', () => {
		const guarded = guardReadQuery('community_groups', { fields: ['*', 'posts.replies.id', 'course.*'] }, scope, schema);
		expect(guarded.deep).toEqual({
			posts: { _filter: postsFilter, replies: { _filter: postsFilter } },
			members: { _filter: { group: { _in: [1] } } },
		});
		expect(guarded.fields).toEqual(['*', 'posts.replies.id', 'course.*']);
	});

	it("keeps the caller's deep filter and adds ours", () => {
		const guarded = guardReadQuery(
			'community_groups',
			{ fields: ['members.id'], deep: { members: { _filter: { role: { _eq: 'instructor' } } } } },
			scope,
			schema,
		);
		expect(guarded.deep).toEqual({ members: { _filter: { _and: [{ role: { _eq: 'instructor' } }, { group: { _in: [1] } }] } } });
	});

	it("limits other people's profiles to public fields", () => {
		expect(guardReadQuery('community_posts', { fields: ['id', 'author.*'] }, scope, schema).fields).toEqual([
			'id',
			'author.id',
			'author.first_name',
			'author.last_name',
			'author.avatar',
			'author.title',
			'author.status',
		]);
		expect(() => guardReadQuery('community_posts', { fields: ['author.email'] }, scope, schema)).toThrow(/public profile fields/);
		expect(() => guardReadQuery('community_posts', { fields: ['id'], filter: { author: { email: { _eq: 'x' } } } }, scope, schema)).toThrow(
			/filtering on email/,
		);
	});

	it('refuses filters, counts and aliases that could reveal rows the caller cannot read', () => {
		expect(() => guardReadQuery('community_groups', { filter: { posts: { status: { _eq: 'pending' } } } }, scope, schema)).toThrow(
			/filtering through posts/,
		);
		expect(() => guardReadQuery('community_groups', { filter: { _or: [{ 'count(posts)': { _gt: 1 } }] } }, scope, schema)).toThrow(
			/filtering through posts/,
		);
		expect(() => guardReadQuery('community_groups', { fields: ['count(members)'] }, scope, schema)).toThrow(/count\(members\)/);
		expect(() => guardReadQuery('community_posts', { alias: { g: 'group' } }, scope, schema)).toThrow(/aliases/);
		expect(() => guardReadQuery('community_groups', { deep: { posts: { _alias: { x: 'id' } } } }, scope, schema)).toThrow(/aliases/);
	});
});

describe('guardUsersQuery', () => {
	it("leaves a read of my own record alone and trims everyone else's", () => {
		const own = { filter: { id: { _eq: 'me' } }, fields: ['*'] };
		expect(guardUsersQuery(own, 'me')).toBe(own);
		expect(guardUsersQuery({ fields: ['*'] }, 'me').fields).toEqual(['id', 'first_name', 'last_name', 'avatar', 'title', 'status']);
		expect(() => guardUsersQuery({ fields: ['email'] }, 'me')).toThrow(/public profile fields/);
	});
});
