import { describe, expect, it } from 'vitest';
import { decideRoute } from './route-policy.js';

describe('decideRoute (non-admin callers)', () => {
	it('routes reads of guarded collections and users to the read policy', () => {
		expect(decideRoute('GET', '/items/community_messages', {})).toEqual({ kind: 'items', collection: 'community_messages', id: null });
		expect(decideRoute('GET', '/items/community_posts/7', {})).toEqual({ kind: 'items', collection: 'community_posts', id: '7' });
		expect(decideRoute('GET', '/users/me', {})).toEqual({ kind: 'users', id: 'me' });
		expect(decideRoute('GET', '/files', {})).toEqual({ kind: 'system', collection: 'directus_files' });
		expect(decideRoute('GET', '/permissions/me/community_posts/3', {})).toEqual({
			kind: 'item-permissions',
			collection: 'community_posts',
			id: '3',
		});
	});

	it('decides on the decoded names, as Express routes them', () => {
		expect(decideRoute('GET', '/items/community%5Fmessages', {})).toEqual({ kind: 'items', collection: 'community_messages', id: null });
		expect(decideRoute('GET', '/permissions/me/%63ommunity_posts/3', {})).toEqual({
			kind: 'item-permissions',
			collection: 'community_posts',
			id: '3',
		});
	});

	it('refuses what is not on the list, by name', () => {
		const reason = (method: string, path: string, body: unknown = {}) => {
			const decision = decideRoute(method, path, body);
			return decision.kind === 'refuse' ? decision.reason : decision.kind;
		};
		expect(reason('POST', '/graphql')).toBe('the route /graphql');
		expect(reason('POST', '/graphql/system')).toBe('the route /graphql');
		expect(reason('SEARCH', '/items/community_messages')).toBe('SEARCH requests (send the query in the URL)');
		expect(reason('SEARCH', '/users')).toBe('SEARCH requests (send the query in the URL)');
		expect(reason('PATCH', '/items/community_messages', { query: {}, data: {} })).toBe('updates by query');
		expect(reason('POST', '/utils/export/community_messages')).toBe('/utils/export/community_messages');
		expect(reason('POST', '/utils/import/community_messages')).toBe('/utils/import/community_messages');
		expect(reason('GET', '/revisions')).toBe('the route /revisions');
		expect(reason('GET', '/versions')).toBe('the route /versions');
		expect(reason('POST', '/mcp')).toBe('the route /mcp');
		expect(reason('POST', '/comments', { collection: 'community_posts', item: 1, comment: 'x' })).toBe('comments on community collections');
		expect(reason('GET', '/utils/random/string')).toBe('open');
		expect(reason('POST', '/utils/export/lessons')).toBe('/utils/export/lessons');
		expect(reason('GET', '/items/community%')).toBe('a path that does not decode');
		expect(reason('POST', '/community/groups/1/join')).toBe('open');
		expect(reason('GET', '/metrics')).toBe('open');
		expect(reason('POST', '/users/register')).toBe('open');
		expect(reason('GET', '/users/register/verify-email')).toBe('open');
	});
});
