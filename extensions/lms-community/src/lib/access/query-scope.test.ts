import { describe, expect, it } from 'vitest';
import { scopeReadQuery } from './query-scope.js';
import { readFilterFor } from './row-filters.js';
import type { AccessScope } from './scope.js';

const scope: AccessScope = {
	userId: 'me',
	readableGroupIds: [1],
	moderatedGroupIds: [],
	taughtGroupIds: [],
	enrolledCourseIds: [5],
	activeCourseIds: [5],
	taughtCourseIds: [],
	gatedThreadIds: [],
};
const posts = readFilterFor('community_posts', scope);
const messages = readFilterFor('community_messages', scope);

describe('scopeReadQuery', () => {
	it("ANDs the collection's row filter onto the caller's filter", () => {
		expect(scopeReadQuery('community_messages', { filter: { body: { _contains: 'x' } } }, scope).filter).toEqual({
			_and: [{ body: { _contains: 'x' } }, messages],
		});
	});

	it('scopes one-to-many expansions at any depth, keeping paging', () => {
		const scoped = scopeReadQuery(
			'community_groups',
			{ fields: ['posts.replies.id', 'course.title'], deep: { posts: { _limit: 5 } } },
			scope,
		);
		expect(scoped.deep).toEqual({ posts: { _limit: 5, _filter: posts, replies: { _filter: posts } } });
		expect(scoped.fields).toEqual(['posts.replies.id', 'course.title', 'course.id']);
	});

	it('scopes the rows a filter reaches through a many-to-one relation', () => {
		const throughReplyTo = {
			_and: [
				{ reply_to: { group: { _in: [1] } } },
				{
					_or: [
						{ reply_to: { hidden_at: { _null: true } } },
						{ reply_to: { sender: { _eq: 'me' } } },
						{ reply_to: { group: { _in: [] } } },
					],
				},
			],
		};
		expect(scopeReadQuery('community_messages', { filter: { reply_to: { body: { _eq: 'x' } } } }, scope).filter).toEqual({
			_and: [{ _and: [{ _and: [{ reply_to: { body: { _eq: 'x' } } }, throughReplyTo] }] }, messages],
		});
	});
});
