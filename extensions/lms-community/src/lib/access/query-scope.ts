import type { Query } from '@directus/types';
import { ruleFor } from './read-policy.js';
import { isScopedCollection, readFilterFor, throughRelation, type Filter } from './row-filters.js';
import type { AccessScope } from './scope.js';

type Node = Record<string, unknown>;

/**
 * Adds the caller's row scope to a query the policy has passed (query-check.ts): the rows of the collection
 * itself, every one-to-many expansion (through `deep`, at any depth), and every many-to-one path a filter
 * walks through, so that filtering on `parent.title` cannot test a parent the caller may not see. Many-to-one
 * expansions in `fields` cannot be filtered by a query; relation-visibility.ts blanks them after the read.
 */
export function scopeReadQuery(collection: string, query: Query, scope: AccessScope): Query {
	const deep = structuredClone((query.deep ?? {}) as Node);
	for (const field of query.fields ?? []) scopeExpansions(collection, field.split('.'), deep, scope);
	const own = isScopedCollection(collection) ? readFilterFor(collection, scope) : null;
	const filter = query.filter ? scopeFilterPaths(collection, query.filter as Filter, scope) : null;
	const scoped: Query = { ...query };
	if (query.fields) scoped.fields = withRelatedKeys(collection, query.fields);
	const combined = andFilters(filter, own);
	if (combined) scoped.filter = combined as Query['filter'];
	if (Object.keys(deep).length > 0) scoped.deep = deep as Query['deep'];
	return scoped;
}

/**
 * Every many-to-one expansion also reads the related row's id, which the visibility step after the read
 * needs to decide whether the caller may see that row (`group.name` alone would carry no key).
 */
function withRelatedKeys(collection: string, fields: string[]): string[] {
	const out = new Set(fields);
	for (const field of fields) {
		let current = collection;
		const segments = field.split('.');
		for (let i = 0; i < segments.length - 1; i++) {
			const relation = ruleFor(current)?.relations[segments[i]!];
			if (!relation) break;
			if (relation.kind === 'm2o') out.add([...segments.slice(0, i + 1), 'id'].join('.'));
			current = relation.collection;
		}
	}
	return [...out];
}

function scopeExpansions(collection: string, segments: string[], deep: Node, scope: AccessScope): void {
	const [head, ...rest] = segments;
	if (head === undefined) return;
	const relation = ruleFor(collection)?.relations[head];
	if (!relation) return;
	const node = childNode(deep, head);
	if (relation.kind === 'o2m' && isScopedCollection(relation.collection) && node['_filter'] === undefined)
		node['_filter'] = readFilterFor(relation.collection, scope);
	scopeExpansions(relation.collection, rest, node, scope);
	if (Object.keys(node).length === 0) delete deep[head];
}

function scopeFilterPaths(collection: string, filter: Filter, scope: AccessScope): Filter {
	const direct: Filter = {};
	const through: Filter[] = [];
	for (const [key, value] of Object.entries(filter)) {
		if (key === '_and' || key === '_or') {
			direct[key] = (value as Filter[]).map((part) => scopeFilterPaths(collection, part, scope));
			continue;
		}
		const relation = ruleFor(collection)?.relations[key];
		const nested = relation?.kind === 'm2o' && !isOperatorNode(value as Node);
		if (nested && isScopedCollection(relation.collection)) {
			const inner = scopeFilterPaths(relation.collection, value as Filter, scope);
			through.push(throughRelation(key, { _and: [inner, readFilterFor(relation.collection, scope)] }));
		} else direct[key] = value;
	}
	if (through.length === 0) return direct;
	return { _and: [...(Object.keys(direct).length > 0 ? [direct] : []), ...through] };
}

function isOperatorNode(node: Node): boolean {
	return !!node && typeof node === 'object' && Object.keys(node).every((key) => key.startsWith('_'));
}

function childNode(deep: Node, key: string): Node {
	const existing = deep[key];
	if (existing && typeof existing === 'object') return existing as Node;
	const node: Node = {};
	deep[key] = node;
	return node;
}

export function andFilters(first: Filter | null, second: Filter | null): Filter | null {
	if (!first || Object.keys(first).length === 0) return second;
	if (!second) return first;
	return { _and: [first, second] };
}
