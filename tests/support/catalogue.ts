import { queryToParams } from '@directus/sdk';

/**
 * The differential test's catalogue: read requests generated from Directus's query grammar (fields, filter
 * with every operator, relational keys, $FOLLOW, deep, sort, search, meta, aggregate, groupBy, alias,
 * export, limit/offset/page, version, by id) over the schema as GET /fields and GET /relations describe it,
 * rendered on every transport (REST GET with bracket or SDK/JSON parameters, REST SEARCH, GraphQL,
 * /utils/export, Directus's /websocket). Nothing here is hand-listed per collection.
 *
 * The collections and operators below are written out here on purpose, not imported from the bundle's
 * read policy: the catalogue must probe Directus's grammar, including what the policy does not allow.
 */

export const COLLECTIONS = [
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
export const USERS = 'directus_users';

export const OPERATORS = [
	'_eq',
	'_neq',
	'_lt',
	'_lte',
	'_gt',
	'_gte',
	'_in',
	'_nin',
	'_null',
	'_nnull',
	'_contains',
	'_ncontains',
	'_icontains',
	'_starts_with',
	'_istarts_with',
	'_ends_with',
	'_between',
	'_empty',
	'_nempty',
	'_some',
	'_none',
] as const;

export type Filter = Record<string, unknown>;

export interface Query {
	fields?: string[];
	filter?: Filter;
	search?: string;
	sort?: string[];
	limit?: number;
	offset?: number;
	page?: number;
	meta?: string;
	deep?: Record<string, unknown>;
	alias?: Record<string, string>;
	aggregate?: Record<string, string>;
	groupBy?: string[];
	export?: string;
	version?: string;
}

/** One read in the abstract: a collection (or /users, /users/me), maybe one id, and a query. */
export interface Spec {
	collection: string;
	id?: string;
	me?: boolean;
	query: Query;
	/** Which grammar feature produced it (for grouping in reports). */
	kind: string;
	/** Sorted by a hash (argon2, random salt per world): the rows are compared as a set, not in order. */
	unordered?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// The schema, as the admin reads it

export interface FieldInfo {
	name: string;
	type: string;
	/** An alias (o2m / m2m): no column. */
	alias: boolean;
}

export interface SchemaModel {
	fields: Map<string, FieldInfo[]>;
	m2o: Map<string, Map<string, string>>;
	o2m: Map<string, Map<string, string>>;
}

export function schemaModel(fields: Array<Record<string, any>>, relations: Array<Record<string, any>>): SchemaModel {
	const model: SchemaModel = { fields: new Map(), m2o: new Map(), o2m: new Map() };
	for (const field of fields) {
		const special: string[] = field['meta']?.['special'] ?? [];
		// Presentation-only dividers of the users form hold no data.
		if (special.includes('no-data')) continue;
		const list = model.fields.get(field['collection']) ?? [];
		list.push({ name: field['field'], type: field['type'], alias: field['type'] === 'alias' });
		model.fields.set(field['collection'], list);
	}
	const put = (map: Map<string, Map<string, string>>, collection: string, field: string, target: string) => {
		const inner = map.get(collection) ?? new Map<string, string>();
		inner.set(field, target);
		map.set(collection, inner);
	};
	for (const relation of relations) {
		if (!relation['related_collection']) continue;
		put(model.m2o, relation['collection'], relation['field'], relation['related_collection']);
		const oneField = relation['meta']?.['one_field'];
		if (oneField) put(model.o2m, relation['related_collection'], oneField, relation['collection']);
	}
	return model;
}

const fieldsOf = (model: SchemaModel, collection: string) => model.fields.get(collection) ?? [];
const plainFields = (model: SchemaModel, collection: string) => fieldsOf(model, collection).filter((f) => !f.alias);
const m2oOf = (model: SchemaModel, collection: string) => [...(model.m2o.get(collection) ?? new Map<string, string>()).entries()];
const o2mOf = (model: SchemaModel, collection: string) => [...(model.o2m.get(collection) ?? new Map<string, string>()).entries()];
const isText = (f: FieldInfo) => ['string', 'text', 'hash', 'uuid', 'csv', 'json'].includes(f.type);
const isTime = (f: FieldInfo) => ['timestamp', 'dateTime', 'date', 'time'].includes(f.type);
const isNumber = (f: FieldInfo) => ['integer', 'bigInteger', 'float', 'decimal'].includes(f.type);

/** Fields of directus_users worth following from every user relation (the rest are UI settings). */
const USER_PROBE_FIELDS = [
	'id',
	'email',
	'first_name',
	'last_name',
	'status',
	'role',
	'title',
	'description',
	'location',
	'last_access',
	'token',
	'password',
	'provider',
	'external_identifier',
	'tfa_secret',
];
const targetFields = (model: SchemaModel, collection: string) =>
	collection === USERS ? plainFields(model, USERS).filter((f) => USER_PROBE_FIELDS.includes(f.name)) : plainFields(model, collection);

// ---------------------------------------------------------------------------------------------------------
// Values that match B's data (ids of B's rows, 'secretB', B's e-mail addresses in world 2)

export interface ValueContext {
	/** Ids of B rows per collection (shared and world-2-only), newest last. */
	bRows: Record<string, number[]>;
	/** An id per collection that the callers' side (A) holds. */
	aRows: Record<string, number>;
	bUserId: string;
	aUserId: string;
	bEmail: string;
	bFirstName: string;
}

const STUDENT_ROLE_ID = '0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a01';

const STATUS_MATCH: Record<string, string> = {
	community_posts: 'pending',
	community_reports: 'open',
	community_members: 'active',
	enrollments: 'active',
	courses: 'published',
	community_groups: 'active',
	directus_users: 'active',
};

function scalarFor(model: SchemaModel, collection: string, field: FieldInfo, ctx: ValueContext): string | number | boolean {
	const target = model.m2o.get(collection)?.get(field.name);
	if (field.name === 'id' && collection === USERS) return ctx.bUserId;
	if (target === USERS || field.type === 'uuid') return ctx.bUserId;
	// B's members hold the Student role; no file is anybody's avatar.
	if (target === 'directus_roles') return STUDENT_ROLE_ID;
	if (target === 'directus_files') return '00000000-0000-4000-8000-00000000f11e';
	if (target) return ctx.bRows[target]?.at(-1) ?? 1;
	if (field.name === 'id') return ctx.bRows[collection]?.at(-1) ?? 1;
	if (field.name === 'email') return ctx.bEmail;
	if (field.name === 'first_name') return ctx.bFirstName;
	if (field.name === 'status') return STATUS_MATCH[collection] ?? 'active';
	if (field.type === 'boolean') return true;
	if (isTime(field)) return '2000-01-01T00:00:00.000Z';
	if (isNumber(field)) return 3;
	return 'secretB';
}

/** A fragment of the B value for string operators (a B e-mail's domain, 'secretB'). */
function fragmentFor(field: FieldInfo, value: string | number | boolean): string | number | boolean {
	if (typeof value !== 'string') return value;
	if (field.name === 'email') return value.slice(value.indexOf('@'));
	return value.length > 8 && value.includes('-') ? value.slice(0, 8) : value;
}

function operand(model: SchemaModel, collection: string, field: FieldInfo, op: string, ctx: ValueContext): unknown {
	const value = scalarFor(model, collection, field, ctx);
	switch (op) {
		case '_in':
		case '_nin':
			return [value, typeof value === 'number' ? 999999 : 'nothing-matches'];
		case '_between':
			if (isTime(field)) return ['2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z'];
			return typeof value === 'number' ? [value, value + 1000] : ['a', 'z'];
		case '_null':
		case '_nnull':
		case '_empty':
		case '_nempty':
			return true;
		case '_contains':
		case '_ncontains':
		case '_icontains':
			return fragmentFor(field, value);
		case '_starts_with':
		case '_istarts_with':
			return typeof value === 'string' ? value.slice(0, 6) : value;
		case '_ends_with':
			return typeof value === 'string' ? value.slice(-6) : value;
		case '_some':
		case '_none': {
			const target = model.o2m.get(collection)?.get(field.name);
			if (!target) return { _eq: value };
			const text = plainFields(model, target).find((f) => ['body', 'title', 'email', 'note', 'name'].includes(f.name));
			return text ? { [text.name]: { _contains: 'secretB' } } : { id: { _in: ctx.bRows[target] ?? [1] } };
		}
		default:
			return value;
	}
}

/** A one-operator condition on `field` that matches B's rows (type-appropriate operator). */
function matchB(model: SchemaModel, collection: string, field: FieldInfo, ctx: ValueContext): Filter {
	const op =
		field.type === 'text' || (isText(field) && !['status', 'role', 'id'].includes(field.name) && field.type !== 'uuid')
			? '_contains'
			: '_eq';
	if (isTime(field)) return { [field.name]: { _gt: '2000-01-01T00:00:00.000Z' } };
	return { [field.name]: { [op]: operand(model, collection, field, op, ctx) } };
}

// ---------------------------------------------------------------------------------------------------------
// Generation

const SEARCH_TERMS = (ctx: ValueContext) => ['secretB', ctx.bEmail, ctx.bFirstName, 'secretb-world', 'hello', 'Bianca', '3'];
const MALFORMED_IDS = ['1e20', 'abc', '-1', '0', '1.5', '99999999999999999999', '999999'];

export function generateSpecs(model: SchemaModel, ctx: ValueContext): Spec[] {
	const specs: Spec[] = [];
	for (const collection of [...COLLECTIONS, USERS]) specs.push(...collectionSpecs(model, collection, ctx));
	specs.push(...usersOnlySpecs(model, ctx));
	return dedupe(specs);
}

function collectionSpecs(model: SchemaModel, collection: string, ctx: ValueContext): Spec[] {
	const out: Spec[] = [];
	const add = (kind: string, query: Query, id?: string, unordered = false) =>
		out.push({ collection, kind, query, ...(id === undefined ? {} : { id }), ...(unordered ? { unordered } : {}) });
	const all = fieldsOf(model, collection);
	const plain = plainFields(model, collection);
	const m2o = m2oOf(model, collection);
	const o2m = o2mOf(model, collection);
	const text = plain.filter((f) => f.type === 'text' || ['title', 'name', 'body', 'email', 'note', 'client_id', 'code'].includes(f.name));
	const mainText = text[0] ?? plain.find(isText) ?? plain[0]!;

	add('base', {});

	// fields: each field, wildcards, every relational path (two levels), functions.
	for (const f of all) add('fields', { fields: [f.name] });
	for (const wildcard of ['*', '*.*', '*.*.*']) add('fields', { fields: [wildcard] });
	for (const [f, target] of [...m2o, ...o2m]) {
		add('fields', { fields: [`${f}.*`] });
		add('fields', { fields: [`${f}.*.*`] });
		for (const g of fieldsOf(model, target).filter((g) => target !== USERS || USER_PROBE_FIELDS.includes(g.name) || g.alias)) {
			add('fields', { fields: [`${f}.${g.name}`] });
		}
		for (const [g, next] of [...m2oOf(model, target), ...o2mOf(model, target)]) {
			if (target === USERS) continue;
			add('fields', { fields: [`${f}.${g}.*`] });
			const nextText = plainFields(model, next).find((h) => ['body', 'title', 'email', 'name', 'note'].includes(h.name));
			if (nextText) add('fields', { fields: [`${f}.${g}.${nextText.name}`] });
		}
		for (const [g] of o2mOf(model, target)) add('fields', { fields: [`${f}.count(${g})`] });
	}
	for (const [f] of o2m) add('fields', { fields: [`count(${f})`] });
	for (const f of plain.filter(isTime)) {
		add('fields', { fields: [`year(${f.name})`] });
		add('fields', { fields: [`month(${f.name})`] });
	}

	// filter: every field × every operator, with values matching B's data, counted.
	for (const f of all) {
		for (const op of OPERATORS) {
			add('filter', { filter: { [f.name]: { [op]: operand(model, collection, f, op, ctx) } }, meta: 'filter_count' });
		}
	}
	add('filter', { filter: { _and: [matchB(model, collection, mainText, ctx), { id: { _nnull: true } }] }, meta: 'filter_count' });
	add('filter', { filter: { _or: [matchB(model, collection, mainText, ctx), { id: { _null: true } }] }, meta: 'filter_count' });
	add('filter', { filter: { _or: plain.map((f) => matchB(model, collection, f, ctx)) }, meta: 'filter_count' });

	// relational filter keys: m2o paths (one and two levels), o2m _some/_none and implicit.
	for (const [f, target] of m2o) {
		for (const g of targetFields(model, target)) {
			add('filter-relational', { filter: { [f]: matchB(model, target, g, ctx) }, meta: 'filter_count' });
		}
		for (const [g, next] of [...m2oOf(model, target), ...o2mOf(model, target)]) {
			if (target === USERS) continue;
			const nextText = plainFields(model, next).find((h) => ['body', 'title', 'email', 'name', 'description', 'note'].includes(h.name));
			if (nextText) add('filter-relational', { filter: { [f]: { [g]: matchB(model, next, nextText, ctx) } }, meta: 'filter_count' });
		}
	}
	for (const [f, target] of o2m) {
		for (const g of targetFields(model, target)) {
			add('filter-relational', { filter: { [f]: { _some: matchB(model, target, g, ctx) } }, meta: 'filter_count' });
			if (isText(g)) add('filter-relational', { filter: { [f]: { _none: matchB(model, target, g, ctx) } }, meta: 'filter_count' });
			if (isText(g)) add('filter-relational', { filter: { [f]: matchB(model, target, g, ctx) }, meta: 'filter_count' });
		}
	}

	// deep: _filter on every field of the nested collection, _limit, _sort, _offset, nested through a m2o.
	for (const [f, target] of o2m) {
		for (const g of targetFields(model, target))
			add('deep', { fields: [`${f}.*`], deep: { [f]: { _filter: matchB(model, target, g, ctx) } } });
		add('deep', { fields: [`${f}.*`], deep: { [f]: { _limit: 1 } } });
		add('deep', { fields: [`${f}.*`], deep: { [f]: { _sort: ['-id'] } } });
		add('deep', { fields: [`${f}.*`], deep: { [f]: { _offset: 1 } } });
		add('deep', { fields: [`${f}.*`], deep: { [f]: { _filter: { id: { _in: ctx.bRows[target] ?? [1] } } } } });
	}
	for (const [f, target] of m2o) {
		add('deep', { fields: [`${f}.*`], deep: { [f]: { _filter: { id: { _nnull: true } } } } });
		for (const [g, next] of o2mOf(model, target)) {
			const nextText =
				plainFields(model, next).find((h) => ['body', 'title', 'email', 'name', 'note'].includes(h.name)) ?? plainFields(model, next)[0]!;
			add('deep', { fields: [`${f}.${g}.*`], deep: { [f]: { [g]: { _filter: matchB(model, next, nextText, ctx) } } } });
			add('deep', { fields: [`${f}.${g}.id`], deep: { [f]: { [g]: { _limit: -1 } } } });
		}
	}

	// sort: each field both ways, relational paths.
	for (const f of plain) {
		add('sort', { fields: ['id'], sort: [f.name], limit: -1 }, undefined, f.type === 'hash');
		add('sort', { fields: ['id'], sort: [`-${f.name}`], limit: -1 }, undefined, f.type === 'hash');
	}
	for (const [f, target] of m2o) {
		for (const g of targetFields(model, target)) {
			// Descending only where the target is text: an ascending sort already orders by every target field.
			add('sort-relational', { fields: ['id'], sort: [`${f}.${g.name}`], limit: -1 }, undefined, g.type === 'hash');
			if (g.type === 'string' || g.type === 'text' || g.type === 'hash') {
				add('sort-relational', { fields: ['id'], sort: [`-${f}.${g.name}`], limit: -1 }, undefined, g.type === 'hash');
			}
		}
	}

	// search, meta.
	for (const term of SEARCH_TERMS(ctx)) {
		add('search', { search: term });
		add('search', { search: term, meta: 'filter_count' });
		add('search', { search: term, meta: '*', fields: ['id'] });
	}
	for (const meta of ['total_count', 'filter_count', '*']) {
		add('meta', { meta });
		add('meta', { meta, filter: matchB(model, collection, mainText, ctx) });
		add('meta', { meta, limit: 1, fields: ['id'] });
	}

	// aggregate, groupBy.
	add('aggregate', { aggregate: { count: '*' } });
	add('aggregate', { aggregate: { count: '*' }, filter: matchB(model, collection, mainText, ctx) });
	for (const f of plain) {
		for (const fn of ['count', 'countDistinct', 'sum', 'min', 'max']) add('aggregate', { aggregate: { [fn]: f.name } });
		add('groupBy', { aggregate: { count: '*' }, groupBy: [f.name] });
	}
	for (const f of plain.filter(isTime)) add('groupBy', { aggregate: { count: '*' }, groupBy: [`year(${f.name})`] });
	for (const [f] of m2o) add('groupBy', { aggregate: { count: '*' }, groupBy: [f], filter: matchB(model, collection, mainText, ctx) });

	// alias, export, pagination, version.
	for (const f of [...plain.slice(0, 2), ...m2o.slice(0, 1).map(([name]) => ({ name }))])
		add('alias', { alias: { x: f.name }, fields: ['x'] });
	for (const format of ['json', 'csv', 'xml', 'yaml']) {
		add('export', { export: format });
		add('export', { export: format, filter: matchB(model, collection, mainText, ctx), fields: ['*.*'] });
	}
	for (const limit of [-1, 5, 1000]) add('limit', { limit, fields: ['id'] });
	for (const offset of [1, 1000]) add('offset', { offset, fields: ['id'] });
	for (const page of [1, 2]) add('page', { page, limit: 2, fields: ['id'] });
	for (const version of ['main', 'draft']) add('version', { version });

	// by id: mine, another group's (shared, and world-2-only), missing, malformed.
	const ids =
		collection === USERS ? [ctx.aUserId, ctx.bUserId, '00000000-0000-4000-8000-00000000dead', ...MALFORMED_IDS] : idsFor(collection, ctx);
	for (const id of ids) {
		add('by-id', {}, id);
		add('by-id', { fields: ['*.*'] }, id);
	}
	return out;
}

function idsFor(collection: string, ctx: ValueContext): string[] {
	const b = ctx.bRows[collection] ?? [];
	const a = ctx.aRows[collection];
	return [...new Set([...(a === undefined ? [] : [String(a)]), ...b.map(String), ...MALFORMED_IDS])];
}

function usersOnlySpecs(model: SchemaModel, ctx: ValueContext): Spec[] {
	const out: Spec[] = [];
	// /users/me with each field and wildcards.
	for (const f of fieldsOf(model, USERS)) out.push({ collection: USERS, me: true, kind: 'me', query: { fields: [f.name] } });
	for (const fields of [[], ['*'], ['*.*'], ['role.*'], ['policies.*'], ['avatar.*']]) {
		out.push({ collection: USERS, me: true, kind: 'me', query: fields.length ? { fields } : {} });
	}
	// $FOLLOW: reverse relations from users into every collection that points at them.
	for (const collection of COLLECTIONS) {
		for (const [field, target] of m2oOf(model, collection)) {
			if (target !== USERS) continue;
			const key = `$FOLLOW(${collection},${field})`;
			for (const g of plainFields(model, collection)) {
				out.push({
					collection: USERS,
					kind: 'follow',
					query: { filter: { [key]: { _some: matchB(model, collection, g, ctx) } }, meta: 'filter_count', fields: ['id'] },
				});
			}
			out.push({
				collection: USERS,
				kind: 'follow',
				query: { filter: { [key]: { _none: { id: { _nnull: true } } } }, meta: 'filter_count', fields: ['id'] },
			});
			out.push({
				collection: USERS,
				kind: 'follow',
				query: { filter: { [key]: { group: { _eq: ctx.bRows['community_groups']?.[0] ?? 2 } } }, fields: ['id'] },
			});
		}
	}
	return out;
}

function dedupe(specs: Spec[]): Spec[] {
	const seen = new Set<string>();
	return specs.filter((spec) => {
		const key = JSON.stringify(spec);
		if (seen.has(key)) return false;
		seen.add(key);
		return true;
	});
}

// ---------------------------------------------------------------------------------------------------------
// Transports

export type Transport = 'rest' | 'rest-json' | 'search' | 'graphql' | 'export' | 'ws-read' | 'ws-subscribe';

export interface HttpProbe {
	transport: Exclude<Transport, 'ws-read' | 'ws-subscribe'>;
	kind: string;
	unordered?: boolean;
	method: string;
	path: string;
	body?: unknown;
	/** For exports: the collection whose export notification to wait for. */
	exportOf?: string;
}

export interface WsProbe {
	transport: 'ws-read' | 'ws-subscribe';
	kind: string;
	unordered?: boolean;
	message: Record<string, unknown>;
}

export type Probe = HttpProbe | WsProbe;

export function probeLabel(probe: Probe): string {
	if ('message' in probe) return `WS ${JSON.stringify(probe.message)}`;
	const path = safeDecode(probe.path);
	return probe.body === undefined ? `${probe.method} ${path}` : `${probe.method} ${path} ${JSON.stringify(probe.body)}`;
}

function safeDecode(path: string): string {
	try {
		return decodeURIComponent(path);
	} catch {
		return path;
	}
}

const basePath = (spec: Spec) =>
	spec.collection === USERS
		? spec.me
			? '/users/me'
			: `/users${spec.id === undefined ? '' : `/${encodeURIComponent(spec.id)}`}`
		: `/items/${spec.collection}${spec.id === undefined ? '' : `/${encodeURIComponent(spec.id)}`}`;

/** Query string in bracket syntax (`filter[body][_contains]=x`), lists comma-separated like the SDK does. */
export function bracketQuery(query: Query): string {
	const parts: string[] = [];
	const enc = (s: string) => encodeURIComponent(s).replace(/%5B/g, '[').replace(/%5D/g, ']');
	const walk = (value: unknown, key: string) => {
		if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${key}[${i}]`));
		else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, `${key}[${k}]`);
		else parts.push(`${enc(key)}=${encodeURIComponent(String(value))}`);
	};
	for (const [key, value] of Object.entries(query)) {
		if (value === undefined) continue;
		if (['fields', 'sort', 'groupBy'].includes(key) && Array.isArray(value))
			parts.push(`${key}=${value.map(encodeURIComponent).join(',')}`);
		else if (key === 'deep') {
			// Inside deep, _sort is a list: send it comma-separated as well.
			walk(JSON.parse(JSON.stringify(value, (k, v) => (k === '_sort' && Array.isArray(v) ? v.join(',') : v))), key);
		} else walk(value, key);
	}
	return parts.join('&');
}

/** Query string as the Directus SDK builds it (`queryToParams`: JSON for filter, deep, aggregate, alias). */
export function sdkQuery(query: Query): string {
	const params = queryToParams(query as any) as Record<string, string>;
	return new URLSearchParams(params).toString();
}

const withQuery = (path: string, qs: string) => (qs ? `${path}?${qs}` : path);

/**
 * Which share of each kind of spec a transport repeats: 1 = all, n = one in n. The selection walks each
 * kind's specs in order with a stride prime to 21 (the number of operators) and to the field counts, so a
 * sample still meets every operator and every collection.
 */
type Shares = Partial<Record<string, number>>;
function sample(specs: Spec[], shares: Shares, keep: (spec: Spec) => boolean = () => true): Spec[] {
	const seen = new Map<string, number>();
	return specs.filter((spec) => {
		const share = shares[spec.kind];
		if (!share || !keep(spec)) return false;
		const n = seen.get(spec.kind) ?? 0;
		seen.set(spec.kind, n + 1);
		return n % share === 0;
	});
}

/** REST GET: every spec in bracket syntax; the SDK's JSON encoding for a share of the nested ones. */
const JSON_SHARES: Shares = {
	filter: 5,
	'filter-relational': 2,
	follow: 1,
	deep: 2,
	meta: 1,
	aggregate: 11,
	groupBy: 2,
	alias: 1,
	export: 2,
};

export function restProbes(specs: Spec[]): HttpProbe[] {
	const probes: HttpProbe[] = specs.map((spec) => ({
		transport: 'rest',
		kind: spec.kind,
		unordered: spec.unordered,
		method: 'GET',
		path: withQuery(basePath(spec), bracketQuery(spec.query)),
	}));
	for (const spec of sample(specs, JSON_SHARES, (s) => !!(s.query.filter || s.query.deep || s.query.aggregate || s.query.alias))) {
		probes.push({
			transport: 'rest-json',
			kind: spec.kind,
			unordered: spec.unordered,
			method: 'GET',
			path: withQuery(basePath(spec), sdkQuery(spec.query)),
		});
	}
	return probes;
}

/** SEARCH with the query in the body: the specs about which rows match and how many. */
const SEARCH_SHARES: Shares = {
	filter: 7,
	'filter-relational': 2,
	follow: 1,
	search: 1,
	meta: 1,
	aggregate: 5,
	groupBy: 1,
	deep: 2,
	'sort-relational': 4,
};

export function searchProbes(specs: Spec[]): HttpProbe[] {
	return sample(specs, SEARCH_SHARES, (spec) => spec.id === undefined && !spec.me).map((spec) => ({
		transport: 'search' as const,
		kind: spec.kind,
		unordered: spec.unordered,
		method: 'SEARCH',
		path: basePath(spec),
		body: { query: spec.query },
	}));
}

export function exportProbes(model: SchemaModel, ctx: ValueContext): HttpProbe[] {
	const probes: HttpProbe[] = [];
	for (const collection of [...COLLECTIONS, USERS]) {
		const text =
			plainFields(model, collection).find((f) => ['body', 'title', 'email', 'name', 'note'].includes(f.name)) ??
			plainFields(model, collection)[0]!;
		for (const [format, query] of [
			['json', {}],
			['csv', { filter: matchB(model, collection, text, ctx), fields: ['*'] }],
			['yaml', { fields: ['*.*'], limit: -1 }],
		] as const) {
			probes.push({
				transport: 'export',
				kind: 'export',
				method: 'POST',
				path: `/utils/export/${collection}`,
				body: { format, query },
				exportOf: collection,
			});
		}
	}
	return probes;
}

/** Directus's /websocket: `items` reads (the same specs as SEARCH, and by id) and subscriptions' first answer. */
export function wsProbes(specs: Spec[], model: SchemaModel, ctx: ValueContext): WsProbe[] {
	const probes: WsProbe[] = [];
	const shares: Shares = {
		'filter-relational': 3,
		follow: 1,
		search: 1,
		meta: 1,
		aggregate: 5,
		groupBy: 1,
		deep: 2,
		'by-id': 1,
		filter: 13,
	};
	for (const spec of sample(specs, shares, (s) => !s.me && (s.kind !== 'by-id' || !s.query.fields))) {
		const message: Record<string, unknown> = { type: 'items', action: 'read', collection: spec.collection, query: spec.query };
		if (spec.id !== undefined) message['id'] = spec.id;
		probes.push({ transport: 'ws-read', kind: spec.kind, unordered: spec.unordered, message });
	}
	for (const collection of [...COLLECTIONS, USERS]) {
		const text =
			plainFields(model, collection).find((f) => ['body', 'title', 'email', 'name', 'note'].includes(f.name)) ??
			plainFields(model, collection)[0]!;
		for (const query of [
			{},
			{ fields: ['*.*'] },
			{ filter: matchB(model, collection, text, ctx), meta: ['filter_count', 'total_count'] },
		]) {
			probes.push({ transport: 'ws-subscribe', kind: 'subscribe', message: { type: 'subscribe', collection, query } });
		}
	}
	return probes;
}

// ---------------------------------------------------------------------------------------------------------
// GraphQL

function gqlLiteral(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(gqlLiteral).join(', ')}]`;
	if (value && typeof value === 'object') {
		return `{ ${Object.entries(value)
			.map(([k, v]) => `${k}: ${gqlLiteral(v)}`)
			.join(', ')} }`;
	}
	return JSON.stringify(value);
}

const gqlName = (collection: string) => (collection === USERS ? 'users' : collection);

/** A GraphQL selection for REST `fields` paths: `*` is every scalar plus `{ id }` of each relation. */
function gqlSelection(model: SchemaModel, collection: string, fields: string[] | undefined, depth = 0): string {
	const scalars = () => {
		const m2o = model.m2o.get(collection) ?? new Map();
		return fieldsOf(model, collection)
			.map((f) => {
				if (m2o.has(f.name)) return depth < 1 ? `${f.name} { ${idField(model, m2o.get(f.name)!)} }` : '';
				if (f.alias) return '';
				return f.name;
			})
			.filter(Boolean)
			.join(' ');
	};
	if (!fields || fields.length === 0) return scalars();
	const tree = new Map<string, string[]>();
	const parts: string[] = [];
	for (const path of fields) {
		const [head, ...rest] = path.split('.');
		if (head === '*') {
			parts.push(scalars());
			continue;
		}
		const fn = /^(\w+)\((\w+)\)$/.exec(head!);
		if (fn) {
			parts.push(`${fn[2]}_func { ${fn[1]} }`);
			continue;
		}
		const list = tree.get(head!) ?? [];
		if (rest.length) list.push(rest.join('.'));
		tree.set(head!, list);
	}
	for (const [head, rest] of tree) {
		const target = model.m2o.get(collection)?.get(head) ?? model.o2m.get(collection)?.get(head);
		if (!target) parts.push(head);
		else parts.push(`${head} { ${rest.length ? gqlSelection(model, target, rest, depth + 1) : idField(model, target)} }`);
	}
	return parts.join(' ');
}

const idField = (model: SchemaModel, collection: string) =>
	fieldsOf(model, collection).some((f) => f.name === 'id') ? 'id' : (fieldsOf(model, collection)[0]?.name ?? 'id');

function gqlArgs(query: Query): string {
	const args: string[] = [];
	if (query.filter) args.push(`filter: ${gqlLiteral(query.filter)}`);
	if (query.search) args.push(`search: ${JSON.stringify(query.search)}`);
	if (query.sort) args.push(`sort: ${gqlLiteral(query.sort)}`);
	if (query.limit !== undefined) args.push(`limit: ${query.limit}`);
	if (query.offset !== undefined) args.push(`offset: ${query.offset}`);
	if (query.page !== undefined) args.push(`page: ${query.page}`);
	return args.length ? `(${args.join(', ')})` : '';
}

/**
 * GraphQL equivalents of a sample of the REST specs: lists with the same fields/filter/sort/search,
 * `<collection>_aggregated` for every filtered, aggregated or grouped spec, `_by_id` for ids, `users` and
 * `users_me` on /graphql/system.
 */
export function graphqlProbes(specs: Spec[], model: SchemaModel): HttpProbe[] {
	const probes: HttpProbe[] = [];
	const seen = new Set<string>();
	// Two specs may render the same GraphQL query (REST's meta has no GraphQL twin): send it once.
	const push = (spec: Spec, query: string) => {
		const key = `${spec.collection}:${query}`;
		if (seen.has(key)) return;
		seen.add(key);
		probes.push({
			transport: 'graphql',
			kind: spec.kind,
			unordered: spec.unordered,
			method: 'POST',
			path: spec.collection === USERS ? '/graphql/system' : '/graphql',
			body: { query },
		});
	};
	// A sample: one in n of each kind (aggregates: count, countDistinct and max only; filters: see below).
	const shares: Shares = {
		base: 1,
		fields: 3,
		filter: 1,
		'filter-relational': 2,
		search: 1,
		meta: 1,
		aggregate: 2,
		groupBy: 1,
		sort: 2,
		'sort-relational': 4,
		limit: 1,
		offset: 1,
		page: 1,
		'by-id': 1,
		me: 1,
	};
	const wanted = (spec: Spec) => {
		const q = spec.query;
		if (q.aggregate && !['count', 'countDistinct', 'max'].some((fn) => fn in q.aggregate!)) return false;
		if (spec.kind === 'filter') {
			// Text-like, id and group fields, with the operators that carry a value of B.
			const [[field, condition]] = Object.entries(q.filter ?? {}) as [[string, Record<string, unknown>]];
			const info = fieldsOf(model, spec.collection).find((f) => f.name === field);
			const op = Object.keys(condition)[0]!;
			if (!info || !(isText(info) || field === 'id' || field === 'group')) return false;
			if (!['_eq', '_neq', '_in', '_contains', '_icontains', '_starts_with', '_ends_with', '_between', '_nnull', '_some'].includes(op))
				return false;
		}
		return true;
	};
	let filteredCount = 0;
	for (const spec of sample(specs, shares, wanted)) {
		const q = spec.query;
		if (q.deep || q.alias || q.export || q.version || q.meta === '*') continue;
		if (JSON.stringify(q.filter ?? {}).includes('$FOLLOW')) continue;
		if (q.fields?.some((f) => f.includes('*.*'))) continue;
		const name = gqlName(spec.collection);
		if (spec.me) {
			if (!q.fields || q.fields.length <= 1) push(spec, `query { users_me { ${gqlSelection(model, USERS, q.fields)} } }`);
			continue;
		}
		if (spec.id !== undefined) {
			if (!q.fields)
				push(spec, `query { ${name}_by_id(id: ${JSON.stringify(spec.id)}) { ${gqlSelection(model, spec.collection, undefined)} } }`);
			continue;
		}
		if (q.aggregate) {
			const [[fn, field]] = Object.entries(q.aggregate) as [[string, string]];
			if (field === '*' && fn !== 'count') continue;
			const target = field === '*' ? idField(model, spec.collection) : field;
			const groupBy = q.groupBy ? `, groupBy: ${gqlLiteral(q.groupBy)}` : '';
			const filter = q.filter ? `filter: ${gqlLiteral(q.filter)}` : '';
			const args = filter || groupBy ? `(${[filter, groupBy.slice(2)].filter(Boolean).join(', ')})` : '';
			push(spec, `query { ${name}_aggregated${args} { ${fn} { ${target} }${q.groupBy ? ' group' : ''} } }`);
			continue;
		}
		// One root field per request: GraphQL resolves root fields concurrently, so two failing ones would list
		// their errors in either order. Filtered reads get the aggregated count (REST's filter_count) and, for
		// one in three, the rows as well.
		const list = `query { ${name}${gqlArgs(q)} { ${gqlSelection(model, spec.collection, q.fields)} } }`;
		if (q.filter || q.search) {
			const args = [q.filter ? `filter: ${gqlLiteral(q.filter)}` : '', q.search ? `search: ${JSON.stringify(q.search)}` : '']
				.filter(Boolean)
				.join(', ');
			push(spec, `query { ${name}_aggregated(${args}) { count { ${idField(model, spec.collection)} } } }`);
			if (filteredCount++ % 3 === 0) push(spec, list);
		} else push(spec, list);
	}
	return probes;
}
