import { isGuardedCollection } from './read-policy.js';

/**
 * Which Directus routes a caller who is not an admin may use, and under which check. An allow-list: a route
 * not named here (GraphQL, MCP, AI, revisions, content versions, schema, deployments, another extension's
 * endpoints…) is refused with QUERY_NOT_ALLOWED.
 *
 * - `items`: `/items/<collection>`: a guarded collection's queries go through the read policy; SEARCH
 *   (a query in the body) and writes by query are refused there.
 * - `users`: `/users`: other people through the profile policy, `/users/me` as the caller's own record.
 * - `system`: a Directus system route whose collection is decided by Directus's permissions; its queries
 *   may not walk into guarded collections or past other people's public profile.
 * - `open`: no query of ours to check (authentication, server info, assets, the bundle's own endpoints,
 *   which check every rule themselves, Directus's token-protected metrics).
 */
export type RouteDecision =
	| { kind: 'open' }
	| { kind: 'items'; collection: string; id: string | null }
	| { kind: 'users'; id: string | null }
	| { kind: 'system'; collection: string }
	| { kind: 'item-permissions'; collection: string; id: string }
	| { kind: 'refuse'; reason: string };

// `metrics`: Directus's own /metrics checks its METRICS_TOKENS itself (a scraper is no user) and holds no one's data.
const OPEN_ROUTES = ['auth', 'server', 'assets', 'community', 'metrics'];

/** Directus system routes the admin app uses for everyone, with the collection each reads. */
const SYSTEM_ROUTES: Record<string, string> = {
	activity: 'directus_activity',
	collections: 'directus_collections',
	comments: 'directus_comments',
	dashboards: 'directus_dashboards',
	extensions: 'directus_extensions',
	fields: 'directus_fields',
	files: 'directus_files',
	flows: 'directus_flows',
	folders: 'directus_folders',
	notifications: 'directus_notifications',
	panels: 'directus_panels',
	permissions: 'directus_permissions',
	policies: 'directus_policies',
	presets: 'directus_presets',
	relations: 'directus_relations',
	roles: 'directus_roles',
	settings: 'directus_settings',
	translations: 'directus_translations',
};

/** `/utils/*` helpers that touch no collection. */
const OPEN_UTILS = ['random', 'hash'];

export function decideRoute(method: string, path: string, body: unknown): RouteDecision {
	// Express decodes route parameters (`community%5Fmessages` is `community_messages` to the controller):
	// decide on the decoded names, or `%5F` would walk past every rule.
	const segments = decodedSegments(path);
	if (!segments) return refuse('a path that does not decode');
	const [root = '', ...rest] = segments;
	const verb = method.toUpperCase();
	if (OPEN_ROUTES.includes(root)) return { kind: 'open' };
	if (root === 'items') return itemsRoute(verb, rest, body);
	if (root === 'users') {
		if (verb === 'SEARCH') return refuse('SEARCH requests (send the query in the URL)');
		// Sign-up and invitations come before there is a user, and answer nothing from the table.
		if (rest[0] === 'register' || rest[0] === 'invite') return { kind: 'open' };
		return { kind: 'users', id: rest[0] ?? null };
	}
	if (root === 'utils') return utilsRoute(rest);
	if (root === 'permissions' && rest[0] === 'me' && rest[1]) {
		if (!isGuardedCollection(rest[1])) return { kind: 'system', collection: 'directus_permissions' };
		return rest[2]
			? { kind: 'item-permissions', collection: rest[1], id: rest[2] }
			: { kind: 'system', collection: 'directus_permissions' };
	}
	if (root === 'comments' && namesGuardedCollection(body)) return refuse('comments on community collections');
	const collection = SYSTEM_ROUTES[root];
	if (collection) return { kind: 'system', collection };
	return refuse(`the route /${root}`);
}

function itemsRoute(verb: string, rest: string[], body: unknown): RouteDecision {
	const [collection, id = null] = rest;
	if (!collection) return refuse('the route /items');
	if (!isGuardedCollection(collection)) return { kind: 'items', collection, id };
	if (verb === 'SEARCH') return refuse('SEARCH requests (send the query in the URL)');
	if (verb === 'PATCH' && !id && body && typeof body === 'object' && 'query' in body) return refuse('updates by query');
	if (verb === 'DELETE' && !id && body && typeof body === 'object' && 'query' in body) return refuse('deletes by query');
	return { kind: 'items', collection, id };
}

function utilsRoute(rest: string[]): RouteDecision {
	const [helper = '', collection] = rest;
	if (OPEN_UTILS.includes(helper)) return { kind: 'open' };
	// Exports, imports and sorting carry queries and rows this guard does not read: admins only.
	return refuse(`/utils/${helper}${collection ? `/${collection}` : ''}`);
}

function decodedSegments(path: string): string[] | null {
	try {
		return path
			.split('/')
			.filter(Boolean)
			.map((segment) => decodeURIComponent(segment));
	} catch {
		return null;
	}
}

function namesGuardedCollection(body: unknown): boolean {
	const rows = Array.isArray(body) ? body : [body];
	return rows.some((row) => !!row && typeof row === 'object' && isGuardedCollection(String((row as { collection?: unknown }).collection)));
}

const refuse = (reason: string): RouteDecision => ({ kind: 'refuse', reason });
