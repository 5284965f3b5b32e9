import type { Query, SchemaOverview } from '@directus/types';
import { QueryNotAllowedError } from '../errors/index.js';
import { isScopedCollection, PUBLIC_PROFILE_FIELDS, readFilterFor, type Filter } from './row-filters.js';
import type { AccessScope } from './scope.js';

type RelationKind = 'm2o' | 'o2m';
interface RelationTarget {
	kind: RelationKind;
	collection: string;
}
type DeepNode = Record<string, unknown>;

const USERS = 'directus_users';
const PUBLIC_FIELDS: readonly string[] = PUBLIC_PROFILE_FIELDS;

/**
 * Rewrites a non-admin's read query so that it returns only what the access rules allow, on every
 * path: the top-level rows get the collection's row filter, every one-to-many expansion into a scoped
 * collection gets the same filter through `deep`, and other people's profiles expose public fields only.
 * Queries that could reveal hidden rows in ways a filter cannot cover are refused (QUERY_NOT_ALLOWED).
 */
export function guardReadQuery(collection: string, query: Query, scope: AccessScope, schema: SchemaOverview): Query {
	const relations = new RelationIndex(schema);
	if (hasAlias(query)) throw new QueryNotAllowedError({ reason: 'field aliases are not available on community collections' });
	assertFilterPaths(collection, (query.filter ?? null) as Filter | null, relations);

	const deep: DeepNode = structuredClone((query.deep ?? {}) as DeepNode);
	const requested = query.fields && query.fields.length > 0 ? query.fields : ['*'];
	const fields = requested.flatMap((field) => expandField(collection, field.split('.'), '', deep, scope, relations));

	const guarded: Query = { ...query, fields, deep: pruneEmpty(deep) as Query['deep'] };
	if (isScopedCollection(collection))
		guarded.filter = andFilters(query.filter ?? null, readFilterFor(collection, scope)) as Query['filter'];
	return guarded;
}

/**
 * Reads of `directus_users` itself: the caller's own record in full, other people's public profile only.
 */
export function guardUsersQuery(query: Query, callerId: string): Query {
	if (hasAlias(query)) throw new QueryNotAllowedError({ reason: 'field aliases are not available on users' });
	if (isOwnRecordQuery((query.filter ?? null) as Filter | null, callerId)) return query;
	const requested = query.fields && query.fields.length > 0 ? query.fields : ['*'];
	const fields = requested.flatMap((field) => restrictProfileField(field.split('.'), ''));
	return { ...query, fields };
}

function expandField(
	collection: string,
	segments: string[],
	prefix: string,
	deep: DeepNode,
	scope: AccessScope,
	relations: RelationIndex,
): string[] {
	const [head, ...rest] = segments;
	if (head === undefined) return [];
	const functionMatch = /^\w+\((\w+)\)$/.exec(head);
	if (functionMatch?.[1]) {
		const target = relations.target(collection, functionMatch[1]);
		if (target?.kind === 'o2m' && isScoped(target.collection)) {
			throw new QueryNotAllowedError({ reason: `${head} would count rows you cannot read` });
		}
		return [prefix + head];
	}

	if (head === '*') {
		const own = relations.relationalFields(collection).filter((f) => relations.target(collection, f)?.kind === 'o2m');
		for (const field of own) scopeOneToMany(collection, field, deep, scope, relations);
		if (rest.length === 0) return [prefix + '*'];
		const nested = relations
			.relationalFields(collection)
			.flatMap((field) => expandField(collection, [field, ...rest], prefix, deep, scope, relations));
		return [prefix + '*', ...nested];
	}

	const target = relations.target(collection, head);
	if (!target) return [prefix + segments.join('.')];
	if (target.kind === 'o2m') scopeOneToMany(collection, head, deep, scope, relations);
	if (rest.length === 0) return [prefix + head];
	if (target.collection === USERS) return restrictProfileField(rest, `${prefix}${head}.`);

	const childDeep = target.kind === 'o2m' ? (deep[head] as DeepNode) : ensureNode(deep, head);
	return expandField(target.collection, rest, `${prefix}${head}.`, childDeep, scope, relations);
}

function scopeOneToMany(collection: string, field: string, deep: DeepNode, scope: AccessScope, relations: RelationIndex): void {
	const target = relations.target(collection, field);
	if (!target || target.kind !== 'o2m') return;
	if (target.collection === USERS) throw new QueryNotAllowedError({ reason: `${field} lists users` });
	if (!isScopedCollection(target.collection)) return;
	const node = ensureNode(deep, field);
	if (scopedNodes.has(node)) return;
	scopedNodes.add(node);
	node['_filter'] = andFilters((node['_filter'] as Filter | undefined) ?? null, readFilterFor(target.collection, scope));
}

/** Deep nodes that already carry the row filter, so a field named twice is not filtered twice. */
const scopedNodes = new WeakSet<DeepNode>();

/** Drops the empty nodes that walking many-to-one paths leaves behind. */
function pruneEmpty(deep: DeepNode): DeepNode {
	const out: DeepNode = {};
	for (const [key, value] of Object.entries(deep)) {
		if (key.startsWith('_') || !value || typeof value !== 'object') {
			out[key] = value;
			continue;
		}
		const child = pruneEmpty(value as DeepNode);
		if (Object.keys(child).length > 0) out[key] = child;
	}
	return out;
}

function restrictProfileField(segments: string[], prefix: string): string[] {
	const [head, ...rest] = segments;
	if (head === undefined) return [];
	if (head === '*' && rest.length === 0) return PUBLIC_FIELDS.map((field) => prefix + field);
	if (PUBLIC_FIELDS.includes(head) && (rest.length === 0 || head === 'avatar')) return [prefix + segments.join('.')];
	throw new QueryNotAllowedError({ reason: `only public profile fields (${PUBLIC_FIELDS.join(', ')}) of other users can be read` });
}

function assertFilterPaths(collection: string, filter: Filter | null, relations: RelationIndex): void {
	if (!filter || typeof filter !== 'object') return;
	for (const [key, value] of Object.entries(filter)) {
		if (key === '_and' || key === '_or') {
			if (Array.isArray(value)) for (const part of value) assertFilterPaths(collection, part as Filter, relations);
			continue;
		}
		if (key.startsWith('_')) continue;
		const field = /^\w+\((\w+)\)$/.exec(key)?.[1] ?? key;
		const target = relations.target(collection, field);
		if (!target) continue;
		if (target.kind === 'o2m' && isScoped(target.collection)) {
			throw new QueryNotAllowedError({ reason: `filtering through ${field} would reveal rows you cannot read` });
		}
		if (target.collection === USERS) {
			assertProfileFilter(value as Filter);
			continue;
		}
		assertFilterPaths(target.collection, value as Filter, relations);
	}
}

function assertProfileFilter(filter: Filter | null): void {
	if (!filter || typeof filter !== 'object') return;
	for (const [key, value] of Object.entries(filter)) {
		if (key === '_and' || key === '_or') {
			if (Array.isArray(value)) for (const part of value) assertProfileFilter(part as Filter);
			continue;
		}
		if (key.startsWith('_')) continue;
		if (!PUBLIC_FIELDS.includes(key)) throw new QueryNotAllowedError({ reason: `filtering on ${key} of other users` });
	}
}

function isOwnRecordQuery(filter: Filter | null, userId: string): boolean {
	const id = filter?.['id'] as Filter | undefined;
	return Object.keys(filter ?? {}).length === 1 && id !== undefined && Object.keys(id).length === 1 && id['_eq'] === userId;
}

function hasAlias(query: Query): boolean {
	if (query.alias && Object.keys(query.alias).length > 0) return true;
	return JSON.stringify(query.deep ?? {}).includes('"_alias"');
}

function isScoped(collection: string): boolean {
	return isScopedCollection(collection) || collection === USERS;
}

function ensureNode(deep: DeepNode, key: string): DeepNode {
	const existing = deep[key];
	if (existing && typeof existing === 'object') return existing as DeepNode;
	const node: DeepNode = {};
	deep[key] = node;
	return node;
}

export function andFilters(first: Filter | null, second: Filter): Filter {
	if (!first || Object.keys(first).length === 0) return second;
	return { _and: [first, second] };
}

class RelationIndex {
	private readonly targets = new Map<string, RelationTarget>();
	private readonly byCollection = new Map<string, string[]>();

	constructor(schema: SchemaOverview) {
		for (const relation of schema.relations) {
			if (relation.related_collection)
				this.add(relation.collection, relation.field, { kind: 'm2o', collection: relation.related_collection });
			const oneField = relation.meta?.one_field;
			if (relation.related_collection && oneField)
				this.add(relation.related_collection, oneField, { kind: 'o2m', collection: relation.collection });
		}
	}

	private add(collection: string, field: string, target: RelationTarget): void {
		this.targets.set(`${collection}.${field}`, target);
		this.byCollection.set(collection, [...(this.byCollection.get(collection) ?? []), field]);
	}

	target(collection: string, field: string): RelationTarget | null {
		return this.targets.get(`${collection}.${field}`) ?? null;
	}

	relationalFields(collection: string): string[] {
		return this.byCollection.get(collection) ?? [];
	}
}
