import type { Query, SchemaOverview } from '@directus/types';
import { QueryNotAllowedError } from '../errors/index.js';
import { PUBLIC_PROFILE_FIELDS } from './row-filters.js';
import {
	AGGREGATE_FUNCTIONS,
	DATE_FUNCTIONS,
	DEEP_PARAMETERS,
	FILTER_OPERATORS,
	isGuardedCollection,
	META_VALUES,
	QUERY_PARAMETERS,
	ruleFor,
	VALUE_LIMITS,
	type CollectionRule,
	type RelationRule,
} from './read-policy.js';

type Node = Record<string, unknown>;

export interface QueryCheckOptions {
	schema: SchemaOverview;
	/** Highest `limit` a caller may ask for (also the cap inside `deep`). */
	limitMax: number;
	/** Fields of other people's profiles this caller may name (instructors: e-mail too, blanked per row later). */
	profileFields: readonly string[];
}

const USERS = 'directus_users';
/** The caller's own user record: Directus's permissions decide its fields; relations from it are still checked. */
export const OWN_RECORD = 'directus_users (own record)';
const refuse = (reason: string): never => {
	throw new QueryNotAllowedError({ reason });
};

/**
 * Checks a non-admin's read query against the policy (read-policy.ts), part by part, and returns it with
 * wildcards spelled out as the allowed fields, so that a column an admin adds later is not read by accident.
 * On a guarded collection every part must be on the list. On any other collection Directus's permissions
 * decide, and only the paths that lead into guarded collections or other people's profiles are checked.
 */
export function checkReadQuery(collection: string, query: Query, options: QueryCheckOptions): Query {
	const checker = new QueryChecker(options);
	return checker.check(collection, query);
}

class QueryChecker {
	constructor(private readonly options: QueryCheckOptions) {}

	check(collection: string, query: Query): Query {
		const guarded = isGuardedCollection(collection);
		const rule = this.rule(collection);
		// An alias renames a relation past every path rule below, on any collection: never for non-admins.
		if (query.alias && Object.keys(query.alias).length > 0) refuse('the alias parameter');
		if (guarded) this.checkParameters(collection, query, rule);
		const fields = (query.fields && query.fields.length > 0 ? query.fields : ['*']).flatMap((field) =>
			this.fieldPath(collection, field.split('.'), ''),
		);
		if (query.filter) this.filter(collection, query.filter as Node, 0);
		if (query.deep) this.deep(collection, query.deep as Node);
		for (const key of query.sort ?? []) this.ownField(collection, key.replace(/^-/, ''), 'sort', guarded);
		for (const key of query.group ?? []) this.ownField(collection, key, 'groupBy', guarded, true);
		for (const [fn, targets] of Object.entries(query.aggregate ?? {})) {
			if (guarded && !AGGREGATE_FUNCTIONS.includes(fn)) refuse(`aggregate function ${fn}`);
			for (const target of targets as string[]) {
				if (target === '*') continue;
				this.ownField(collection, target, `aggregate ${fn}`, guarded);
				if (guarded) this.aggregatable(collection, fn, target);
			}
		}
		if (query.search !== undefined && query.search !== null && rule && !rule.search) refuse(`search on ${collection}`);
		return query.fields === undefined && !guarded ? query : { ...query, fields };
	}

	private checkParameters(collection: string, query: Query, rule: CollectionRule | null): void {
		if (!rule) refuse(`reading ${collection}`);
		for (const [key, value] of Object.entries(query)) {
			if (value === undefined || value === null) continue;
			if (!QUERY_PARAMETERS.includes(key)) refuse(`the ${key} parameter`);
		}
		for (const meta of (query as { meta?: string[] }).meta ?? [])
			if (!META_VALUES.includes(meta)) refuse(`meta ${meta} (only ${META_VALUES.join(', ')})`);
		if (query.limit !== undefined && query.limit !== null) this.limit(query.limit, 'limit');
		if (query.offset !== undefined && query.offset !== null && !(Number.isSafeInteger(query.offset) && query.offset >= 0))
			refuse('offset must be a whole number ≥ 0');
		if (query.page !== undefined && query.page !== null && !(Number.isSafeInteger(query.page) && query.page >= 1))
			refuse('page must be a whole number ≥ 1');
		if (typeof query.search === 'string' && query.search.length > VALUE_LIMITS.stringLength) refuse('search text too long');
	}

	private limit(value: unknown, name: string): void {
		const max = this.options.limitMax;
		if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max))
			refuse(`${name} must be between 0 and ${max}`);
	}

	/**
	 * The rule a collection is read under: the policy's, a profile's, or none (Directus's permissions). An
	 * instructor's extra profile field (e-mail) may be read, never filtered, sorted, grouped or searched on.
	 */
	private rule(collection: string, forOutput = false): CollectionRule | null {
		if (collection === OWN_RECORD) return null;
		if (collection === USERS) return { ...ruleFor(USERS)!, fields: forOutput ? this.options.profileFields : PUBLIC_PROFILE_FIELDS };
		return ruleFor(collection);
	}

	private relation(collection: string, field: string): RelationRule | null {
		const rule = this.rule(collection);
		if (rule) return rule.relations[field] ?? null;
		return schemaRelation(this.options.schema, collection === OWN_RECORD ? USERS : collection, field);
	}

	private fieldPath(collection: string, segments: string[], prefix: string): string[] {
		const [head, ...rest] = segments;
		if (head === undefined) return [];
		const rule = this.rule(collection, true);
		if (head === '*') {
			if (!rule) return rest.length === 0 ? [prefix + '*'] : [prefix + '*', ...this.allRelations(collection, rest, prefix)];
			// Like Directus's `*`: own columns and the id lists of one-to-many relations (scoped through deep).
			const lists = Object.entries(rule.relations).filter(([, relation]) => relation.kind === 'o2m' && relation.collection !== USERS);
			const own = [...rule.fields, ...lists.map(([field]) => field)].map((field) => prefix + field);
			if (rest.length === 0) return own;
			return [...own, ...Object.keys(rule.relations).flatMap((field) => this.fieldPath(collection, [field, ...rest], prefix))];
		}
		const fn = /^(\w+)\((\w+)\)$/.exec(head);
		if (fn) {
			if (rest.length > 0 || !DATE_FUNCTIONS.includes(fn[1]!)) refuse(`the field function ${head}`);
			this.ownField(collection, fn[2]!, 'a field function', rule !== null);
			return [prefix + head];
		}
		const relation = this.relation(collection, head);
		if (relation) {
			this.assertRelationReadable(collection, head, relation);
			if (rest.length === 0) return [prefix + head];
			// Profiles reached through a collection outside the policy (a file's uploader) are public only:
			// the e-mail blanking after the read walks the policy's relations, not Directus's.
			const checker = relation.collection === USERS && !isGuardedCollection(collection) ? this.publicOnly() : this;
			return checker.fieldPath(relation.collection, rest, `${prefix}${head}.`);
		}
		if (!rule) return [prefix + segments.join('.')];
		if (!rule.fields.includes(head)) refuse(`the field ${head} of ${collection}`);
		if (rest.length > 0) refuse(`${head} of ${collection} is not a relation`);
		return [prefix + head];
	}

	private publicOnly(): QueryChecker {
		return new QueryChecker({ ...this.options, profileFields: PUBLIC_PROFILE_FIELDS });
	}

	/** `*.x` on a collection outside the policy: every relation, each checked. */
	private allRelations(collection: string, rest: string[], prefix: string): string[] {
		const name = collection === OWN_RECORD ? USERS : collection;
		return this.options.schema.relations
			.flatMap((relation) => {
				if (relation.collection === name) return [relation.field];
				if (relation.related_collection === name && relation.meta?.one_field) return [relation.meta.one_field];
				return [];
			})
			.flatMap((field) => this.fieldPath(collection, [field, ...rest], prefix));
	}

	/** Lists of people are never expanded; relations into guarded collections from outside are refused. */
	private assertRelationReadable(collection: string, field: string, relation: RelationRule): void {
		if (relation.collection === USERS && relation.kind === 'o2m') refuse(`${field} lists users`);
		if (!isGuardedCollection(collection) && relation.collection !== USERS && isGuardedCollection(relation.collection))
			refuse(`${field} of ${collection} leads into ${relation.collection}`);
		if (isGuardedCollection(relation.collection) && relation.collection !== USERS && !ruleFor(relation.collection))
			refuse(`reading ${relation.collection}`);
	}

	/** Aggregates the database computes on the column's type (PostgreSQL cannot sum text or count a timestamp here). */
	private aggregatable(collection: string, fn: string, field: string): void {
		const type = this.options.schema.collections[collection]?.fields[field]?.type ?? 'unknown';
		const numeric = ['integer', 'bigInteger', 'float', 'decimal'].includes(type);
		const countable = numeric || ['string', 'uuid'].includes(type);
		if (!(fn.startsWith('count') ? countable : numeric)) refuse(`aggregate ${fn} on ${field} of ${collection} (${type})`);
	}

	private ownField(collection: string, expression: string, use: string, strict: boolean, functionsAllowed = false): void {
		const fn = /^(\w+)\((\w+)\)$/.exec(expression);
		if (fn) {
			if (!functionsAllowed || !DATE_FUNCTIONS.includes(fn[1]!)) refuse(`${expression} in ${use}`);
			return this.ownField(collection, fn[2]!, use, strict);
		}
		if (expression.includes('.')) {
			if (strict || pathLeavesPolicy(this.options.schema, collection, expression.split('.')))
				refuse(`the relational path ${expression} in ${use}`);
			return;
		}
		const rule = this.rule(collection);
		if (!rule) return;
		if (!rule.fields.includes(expression)) refuse(`${use} on ${expression} of ${collection}`);
		// PostgreSQL cannot order, group or aggregate json columns.
		if (this.options.schema.collections[collection]?.fields[expression]?.type === 'json')
			refuse(`${use} on ${expression} of ${collection} (json)`);
	}

	private filter(collection: string, filter: Node, depth: number): void {
		if (depth > VALUE_LIMITS.filterDepth) refuse('the filter is nested too deeply');
		if (!filter || typeof filter !== 'object' || Array.isArray(filter)) refuse('a filter must be an object');
		const rule = this.rule(collection);
		for (const [key, value] of Object.entries(filter)) {
			if (key === '_and' || key === '_or') {
				if (!Array.isArray(value)) refuse(`${key} takes a list`);
				for (const part of value as Node[]) this.filter(collection, part, depth + 1);
				continue;
			}
			if (key.startsWith('_')) refuse(`the operator ${key} at this place`);
			if (key.startsWith('$')) {
				const target = /^\$FOLLOW\((\w+),/.exec(key)?.[1];
				if (rule || !target || isGuardedCollection(target)) refuse(`the filter key ${key}`);
				continue;
			}
			const fn = /^(\w+)\((\w+)\)$/.exec(key);
			const field = fn ? fn[2]! : key;
			if (fn && !DATE_FUNCTIONS.includes(fn[1]!)) refuse(`the filter function ${key}`);
			const relation = fn ? null : this.relation(collection, field);
			if (relation) {
				this.assertRelationReadable(collection, field, relation);
				if (relation.kind === 'o2m' && (rule || isGuardedCollection(relation.collection)))
					refuse(`filtering through ${field} (a list of ${relation.collection})`);
				if (isOperatorNode(value as Node)) this.conditions(collection, field, value as Node, rule !== null);
				else this.filter(relation.collection, value as Node, depth + 1);
				continue;
			}
			if (!rule) continue;
			if (!rule.fields.includes(field)) refuse(`filtering on ${field} of ${collection}`);
			if (!isOperatorNode(value as Node)) refuse(`${field} of ${collection} is not a relation`);
			this.conditions(collection, field, value as Node, true);
		}
	}

	private conditions(collection: string, field: string, conditions: Node, strict: boolean): void {
		for (const [operator, value] of Object.entries(conditions)) {
			if (!strict) continue;
			if (!FILTER_OPERATORS.includes(operator)) refuse(`the filter operator ${operator}`);
			checkFilterValue(this.options.schema, collection, field, operator, value);
		}
	}

	private deep(collection: string, deep: Node): void {
		for (const [key, value] of Object.entries(deep)) {
			if (key.startsWith('_')) {
				if (!DEEP_PARAMETERS.includes(key)) refuse(`${key} inside deep`);
				if (key === '_limit') this.limit(value, 'deep _limit');
				if (key === '_sort')
					for (const sort of Array.isArray(value) ? value : String(value).split(','))
						this.ownField(collection, String(sort).replace(/^-/, ''), 'deep _sort', true);
				continue;
			}
			const relation = this.relation(collection, key);
			if (!relation) refuse(`deep on ${key} of ${collection}`);
			this.assertRelationReadable(collection, key, relation!);
			if (!value || typeof value !== 'object') refuse(`deep on ${key} takes an object`);
			this.deep(relation!.collection, value as Node);
		}
	}
}

function isOperatorNode(node: Node): boolean {
	return !!node && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).every((key) => key.startsWith('_'));
}

/** Whether a dotted path from a collection outside the policy reaches a guarded collection or a profile. */
function pathLeavesPolicy(schema: SchemaOverview, collection: string, segments: string[]): boolean {
	let current = collection === OWN_RECORD ? USERS : collection;
	for (const segment of segments.slice(0, -1)) {
		const relation = schemaRelation(schema, current, segment);
		if (!relation) return false;
		if (isGuardedCollection(relation.collection) || relation.collection === USERS) return true;
		current = relation.collection;
	}
	return false;
}

export function schemaRelation(schema: SchemaOverview, collection: string, field: string): RelationRule | null {
	for (const relation of schema.relations) {
		if (relation.collection === collection && relation.field === field && relation.related_collection)
			return { kind: 'm2o', collection: relation.related_collection };
		if (relation.related_collection === collection && relation.meta?.one_field === field)
			return { kind: 'o2m', collection: relation.collection };
	}
	return null;
}

const INTEGER_MAX: Record<string, number> = { integer: 2_147_483_647, bigInteger: Number.MAX_SAFE_INTEGER };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DYNAMIC = /^\$(CURRENT_USER|NOW)/;
/** Dates as PostgreSQL reads them: `2026-11-26`, with an optional time and zone. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;

/**
 * Filter values must fit the column, or the database answers with an error (a 500 on PostgreSQL for `1e20`
 * against an integer or `abc` against a uuid) instead of a clear refusal.
 */
function checkFilterValue(schema: SchemaOverview, collection: string, field: string, operator: string, value: unknown): void {
	if (['_null', '_nnull', '_empty', '_nempty'].includes(operator)) {
		if (value !== true && value !== false && value !== 'true' && value !== 'false') refuse(`${operator} takes true or false`);
		const type = schema.collections[collection]?.fields[field]?.type ?? 'string';
		if (operator.endsWith('empty') && !['string', 'text'].includes(type)) refuse(`${operator} on ${field} of ${collection} (${type})`);
		return;
	}
	const pointsAtUser = ruleFor(collection)?.relations[field]?.collection === USERS;
	const type = pointsAtUser ? 'uuid' : (schema.collections[collection]?.fields[field]?.type ?? 'string');
	if (type === 'json') refuse(`filtering on ${field} of ${collection} (json)`);
	const values = ['_in', '_nin', '_between', '_nbetween'].includes(operator) ? listOf(value, operator) : [value];
	if ((operator === '_between' || operator === '_nbetween') && values.length !== 2) refuse(`${operator} takes two values`);
	const textual = operator.includes('contains') || operator.includes('starts_with') || operator.includes('ends_with');
	for (const item of values) {
		if (typeof item === 'string' && item.length > VALUE_LIMITS.stringLength) refuse(`a filter value on ${field} is too long`);
		if (typeof item === 'string' && DYNAMIC.test(item)) continue;
		if (textual) {
			if (!['string', 'text', 'hash', 'csv'].includes(type) || typeof item !== 'string') refuse(`${operator} on ${field} of ${collection}`);
			continue;
		}
		if (!fitsType(type, item, schema.collections[collection]?.primary === field))
			refuse(`the value ${JSON.stringify(item)} for ${field} of ${collection}`);
	}
}

function listOf(value: unknown, operator: string): unknown[] {
	const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : refuse(`${operator} takes a list`);
	if (list.length > VALUE_LIMITS.listLength) refuse(`${operator} takes at most ${VALUE_LIMITS.listLength} values`);
	return list;
}

function fitsType(type: string, value: unknown, isPrimaryKey: boolean): boolean {
	if (type in INTEGER_MAX) {
		const number = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : NaN;
		return Number.isSafeInteger(number) && Math.abs(number) <= INTEGER_MAX[type]!;
	}
	if (type === 'float' || type === 'decimal')
		return typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value));
	if (type === 'boolean') return [true, false, 'true', 'false', 1, 0, '1', '0'].includes(value as never);
	if (type === 'uuid') return typeof value === 'string' && UUID.test(value);
	if (type === 'timestamp' || type === 'dateTime' || type === 'date' || type === 'time')
		return value instanceof Date || (typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value)));
	if (isPrimaryKey && type === 'string') return typeof value === 'string';
	return typeof value === 'string' || typeof value === 'number';
}
