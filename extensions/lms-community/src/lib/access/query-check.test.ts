import type { Query, SchemaOverview } from '@directus/types';
import { describe, expect, it } from 'vitest';
import { checkReadQuery, OWN_RECORD } from './query-check.js';
import { PUBLIC_PROFILE_FIELDS } from './row-filters.js';

const field = (type: string) => ({ type });
const schema = {
	collections: {
		community_messages: {
			primary: 'id',
			fields: { id: field('integer'), group: field('integer'), sender: field('string'), body: field('text'), seq: field('bigInteger') },
		},
		community_posts: { primary: 'id', fields: { id: field('integer'), reaction_counts: field('json'), date_created: field('timestamp') } },
		directus_users: { primary: 'id', fields: { id: field('uuid'), email: field('string') } },
		directus_files: { primary: 'id', fields: { id: field('uuid') } },
	},
	relations: [
		{ collection: 'directus_files', field: 'uploaded_by', related_collection: 'directus_users', meta: { one_field: null } },
		{ collection: 'directus_users', field: 'role', related_collection: 'directus_roles', meta: { one_field: 'users' } },
		{ collection: 'lessons', field: 'course', related_collection: 'courses', meta: { one_field: null } },
	],
} as unknown as SchemaOverview;

const options = { schema, limitMax: 100, profileFields: PUBLIC_PROFILE_FIELDS };
const check = (collection: string, query: Query) => checkReadQuery(collection, query, options);
const refusal = (collection: string, query: Query) => {
	try {
		check(collection, query);
	} catch (error) {
		return (error as { extensions?: { reason?: string } }).extensions?.reason;
	}
	return 'passed';
};

describe('checkReadQuery on a guarded collection', () => {
	it('spells out * as the fields on the list, with one-to-many id lists', () => {
		expect(check('community_groups', { fields: ['*'] }).fields).toContain('posts');
		expect(check('community_messages', { fields: ['*'] }).fields).toEqual([
			'id',
			'group',
			'sender',
			'sender_pseudonym',
			'body',
			'reply_to',
			'client_id',
			'seq',
			'change_seq',
			'edited_at',
			'deleted_at',
			'hidden_at',
			'date_created',
		]);
		expect(check('community_messages', { fields: ['sender.*'] }).fields).toEqual(PUBLIC_PROFILE_FIELDS.map((f) => `sender.${f}`));
	});

	it('passes the queries the mobile app sends', () => {
		const query: Query = {
			fields: ['id', 'body', 'sender.first_name', 'reply_to.body'],
			filter: { _and: [{ group: { _eq: 3 } }, { seq: { _gt: '10' } }, { body: { _icontains: 'exam' } }] },
			sort: ['-seq'],
			limit: 50,
			search: 'exam',
			deep: {},
		};
		expect(refusal('community_messages', query)).toBe('passed');
		expect(refusal('community_groups', { fields: ['posts.id'], deep: { posts: { _limit: 5, _sort: ['-id'] } } })).toBe('passed');
		expect(refusal('community_posts', { group: ['year(date_created)'], aggregate: { count: ['*'] } })).toBe('passed');
		expect((check('community_messages', { meta: ['filter_count'] } as Query) as { meta?: string[] }).meta).toEqual(['filter_count']);
	});

	it('refuses, by name, every part that is not on the list', () => {
		expect(refusal('community_messages', { meta: ['total_count'] } as Query)).toBe('meta total_count (only filter_count)');
		expect(refusal('community_messages', { alias: { x: 'body' } })).toBe('the alias parameter');
		expect(refusal('community_messages', { export: 'csv' } as Query)).toBe('the export parameter');
		expect(refusal('community_messages', { version: 'draft' } as Query)).toBe('the version parameter');
		expect(refusal('community_messages', { limit: -1 })).toBe('limit must be between 0 and 100');
		expect(refusal('community_messages', { limit: 101 })).toBe('limit must be between 0 and 100');
		expect(refusal('community_messages', { fields: ['sender.email'] })).toBe('the field email of directus_users');
		expect(refusal('community_messages', { fields: ['secret'] })).toBe('the field secret of community_messages');
		expect(refusal('community_groups', { fields: ['count(posts)'] })).toBe('the field function count(posts)');
		expect(refusal('community_messages', { filter: { sender: { email: { _eq: 'a@b.c' } } } })).toBe('filtering on email of directus_users');
		expect(refusal('community_messages', { filter: { body: { _regex: 'x' } } })).toBe('the filter operator _regex');
		expect(refusal('community_groups', { filter: { posts: { _some: { body: { _eq: 'x' } } } } })).toBe(
			'filtering through posts (a list of community_posts)',
		);
		expect(refusal('community_messages', { filter: { '$FOLLOW(community_messages,sender)': { body: { _eq: 'x' } } } })).toBe(
			'the filter key $FOLLOW(community_messages,sender)',
		);
		expect(refusal('community_messages', { sort: ['sender.email'] })).toBe('the relational path sender.email in sort');
		expect(refusal('community_messages', { sort: ['group.name'] })).toBe('the relational path group.name in sort');
		expect(refusal('community_groups', { deep: { posts: { _filter: { status: { _eq: 'pending' } } } } })).toBe('_filter inside deep');
		expect(refusal('community_groups', { deep: { posts: { _limit: 1000 } } })).toBe('deep _limit must be between 0 and 100');
		expect(refusal('community_messages', { aggregate: { count: ['sender.email'] } })).toBe(
			'the relational path sender.email in aggregate count',
		);
		expect(refusal('community_messages', { group: ['sender.email'] })).toBe('the relational path sender.email in groupBy');
		expect(refusal('community_post_views', {})).toBe('reading community_post_views');
		expect(refusal('community_privacy_log', {})).toBe('reading community_privacy_log');
		for (const collection of ['community_deliveries', 'community_devices', 'community_notification_settings'])
			expect(refusal(collection, {})).toBe(`reading ${collection}`);
		expect(refusal('directus_users', { search: 'a' })).toBe('search on directus_users');
		expect(refusal('directus_users', { sort: ['email'] })).toBe('sort on email of directus_users');
		expect(refusal('directus_users', { group: ['email'] })).toBe('groupBy on email of directus_users');
		expect(refusal('community_posts', { group: ['reaction_counts'] })).toBe('groupBy on reaction_counts of community_posts (json)');
		expect(refusal('community_posts', { sort: ['reaction_counts'] })).toBe('sort on reaction_counts of community_posts (json)');
		expect(refusal('community_posts', { aggregate: { sum: ['date_created'] } })).toBe(
			'aggregate sum on date_created of community_posts (timestamp)',
		);
		expect(refusal('community_messages', { aggregate: { max: ['body'] } })).toBe('aggregate max on body of community_messages (text)');
		expect(refusal('community_messages', { aggregate: { countDistinct: ['sender'], sum: ['seq'] } })).toBe('passed');
		expect(refusal('community_posts', { filter: { date_created: { _empty: true } } })).toBe(
			'_empty on date_created of community_posts (timestamp)',
		);
		expect(refusal('community_posts', { filter: { reaction_counts: { _contains: 'x' } } })).toBe(
			'filtering on reaction_counts of community_posts (json)',
		);
	});

	it('refuses filter values that do not fit the column instead of letting the database fail', () => {
		expect(refusal('community_messages', { filter: { id: { _eq: '1e20' } } })).toBe('the value "1e20" for id of community_messages');
		expect(refusal('community_messages', { filter: { id: { _eq: 99999999999 } } })).toBe(
			'the value 99999999999 for id of community_messages',
		);
		expect(refusal('community_messages', { filter: { sender: { _eq: 'abc' } } })).toBe('the value "abc" for sender of community_messages');
		expect(refusal('community_messages', { filter: { sender: { _contains: 'ab' } } })).toBe('_contains on sender of community_messages');
		expect(refusal('community_messages', { filter: { id: { _in: Array.from({ length: 101 }, (_, i) => i) } } })).toBe(
			'_in takes at most 100 values',
		);
		expect(refusal('community_messages', { filter: { sender: { _eq: '$CURRENT_USER' } } })).toBe('passed');
		expect(refusal('community_posts', { filter: { date_created: { _gt: 'hello 1' } } })).toBe(
			'the value "hello 1" for date_created of community_posts',
		);
		expect(refusal('community_posts', { filter: { date_created: { _gt: '2026-11-26T10:00:00Z' } } })).toBe('passed');
		expect(refusal('community_posts', { filter: { date_created: { _gt: new Date() as unknown as string } } })).toBe('passed');
	});
});

describe("instructors' view of e-mail addresses", () => {
	const instructor = { schema, limitMax: 100, profileFields: [...PUBLIC_PROFILE_FIELDS, 'email'] };
	const refusalFor = (collection: string, query: Query) => {
		try {
			checkReadQuery(collection, query, instructor);
		} catch (error) {
			return (error as { extensions?: { reason?: string } }).extensions?.reason;
		}
		return 'passed';
	};
	it('may read e-mail (blanked later outside their groups) but never filter, sort or group on it', () => {
		expect(refusalFor('community_messages', { fields: ['sender.email'] })).toBe('passed');
		expect(refusalFor('directus_users', { fields: ['email'] })).toBe('passed');
		expect(refusalFor('directus_users', { filter: { email: { _eq: 'a@b.c' } } })).toBe('filtering on email of directus_users');
		expect(refusalFor('directus_users', { sort: ['email'] })).toBe('sort on email of directus_users');
		expect(refusalFor('directus_users', { group: ['email'] })).toBe('groupBy on email of directus_users');
		expect(refusalFor('directus_files', { fields: ['uploaded_by.email'] })).toBe('the field email of directus_users');
	});
});

describe('checkReadQuery outside the policy', () => {
	it("leaves Directus's permissions to decide, but not paths into profiles or guarded collections", () => {
		expect(refusal('directus_files', { fields: ['*', 'uploaded_by.first_name'], filter: { type: { _eq: 'x' } } })).toBe('passed');
		expect(refusal('directus_files', { fields: ['uploaded_by.email'] })).toBe('the field email of directus_users');
		expect(refusal('directus_files', { filter: { uploaded_by: { email: { _eq: 'x' } } } })).toBe('filtering on email of directus_users');
		expect(refusal('directus_files', { sort: ['uploaded_by.email'] })).toBe('the relational path uploaded_by.email in sort');
		expect(refusal('lessons', { fields: ['course.title'] })).toBe('course of lessons leads into courses');
		expect(refusal(OWN_RECORD, { fields: ['*', 'role.name'] })).toBe('passed');
		expect(refusal(OWN_RECORD, { fields: ['role.users.email'] })).toBe('users lists users');
		expect(refusal('directus_roles', { alias: { u: 'users' }, fields: ['u.email'] })).toBe('the alias parameter');
		expect(refusal(OWN_RECORD, { alias: { r: 'role' }, fields: ['r.users.email'] })).toBe('the alias parameter');
	});
});
