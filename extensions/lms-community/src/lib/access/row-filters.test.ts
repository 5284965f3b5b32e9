import { describe, expect, it } from 'vitest';
import { readFilterFor, throughRelation } from './row-filters.js';
import type { AccessScope } from './scope.js';

const scope: AccessScope = {
	userId: 'me',
	readableGroupIds: [1, 2],
	moderatedGroupIds: [2],
	taughtGroupIds: [],
	enrolledCourseIds: [10],
	activeCourseIds: [10],
	taughtCourseIds: [],
	gatedThreadIds: [],
};

describe('readFilterFor', () => {
	it('scopes group content to the groups I read', () => {
		expect(readFilterFor('community_messages', scope)).toEqual({
			_and: [{ group: { _in: [1, 2] } }, { _or: [{ hidden_at: { _null: true } }, { sender: { _eq: 'me' } }, { group: { _in: [2] } }] }],
		});
		expect(readFilterFor('community_members', scope)).toEqual({ group: { _in: [1, 2] } });
		expect(readFilterFor('community_notifications', scope)).toEqual({ recipient: { _eq: 'me' } });
		expect(readFilterFor('community_reports', scope)).toEqual({ _or: [{ reporter: { _eq: 'me' } }, { group: { _in: [2] } }] });
	});

	it('shows groups I belong to and the groups of courses I am actively enrolled in', () => {
		expect(readFilterFor('community_groups', scope)).toEqual({ _or: [{ id: { _in: [1, 2] } }, { course: { _in: [10] } }] });
	});

	it('shows published posts, my own unpublished ones, and pending, rejected or hidden ones where I moderate', () => {
		expect(readFilterFor('community_posts', scope)).toEqual({
			_and: [
				{ group: { _in: [1, 2] } },
				{
					_or: [
						{ status: { _eq: 'published' } },
						{ _and: [{ author: { _eq: 'me' } }, { status: { _in: ['draft', 'pending', 'rejected', 'hidden'] } }] },
						{ _and: [{ status: { _in: ['pending', 'rejected', 'hidden'] } }, { group: { _in: [2] } }] },
					],
				},
			],
		});
	});

	it('hides the replies of threads that ask me to post first, except my own', () => {
		const filter = readFilterFor('community_posts', { ...scope, gatedThreadIds: [7, 8] }) as { _and: unknown[] };
		expect(filter._and[1]).toEqual({ _or: [{ parent: { _null: true } }, { parent: { _nin: [7, 8] } }, { author: { _eq: 'me' } }] });
		const reactions = readFilterFor('community_post_reactions', { ...scope, gatedThreadIds: [7] }) as { _and: unknown[] };
		expect(reactions._and[1]).toEqual({
			_or: [{ post: { parent: { _null: true } } }, { post: { parent: { _nin: [7] } } }, { post: { author: { _eq: 'me' } } }],
		});
	});

	it('shows reactions of the messages I see, but of deleted ones only where I moderate', () => {
		expect(readFilterFor('community_message_reactions', scope)).toEqual({
			_and: [
				{ message: { group: { _in: [1, 2] } } },
				{
					_or: [{ message: { hidden_at: { _null: true } } }, { message: { sender: { _eq: 'me' } } }, { message: { group: { _in: [2] } } }],
				},
				{ _or: [{ message: { deleted_at: { _null: true } } }, { message: { group: { _in: [2] } } }] },
			],
		});
	});

	it('shows reactions of the posts I can see, through the post relation', () => {
		const filter = readFilterFor('community_post_reactions', scope) as { _and: Array<Record<string, unknown>> };
		expect(filter._and[0]).toEqual({ post: { group: { _in: [1, 2] } } });
	});
});

describe('throughRelation', () => {
	it('puts the relation onto every leaf, keeping the logical operators on top', () => {
		expect(throughRelation('post', { _or: [{ a: { _eq: 1 } }, { _and: [{ b: { _eq: 2 } }, { c: { _eq: 3 }, d: { _eq: 4 } }] }] })).toEqual({
			_or: [{ post: { a: { _eq: 1 } } }, { _and: [{ post: { b: { _eq: 2 } } }, { post: { c: { _eq: 3 }, d: { _eq: 4 } } }] }],
		});
	});
});
