import type { Query } from '@directus/types';
import type { AccessContext } from './access-context.js';
import { ruleFor } from './read-policy.js';
import { isScopedCollection } from './row-filters.js';

type Row = Record<string, unknown>;
type FieldTree = Map<string, FieldTree>;

/** Reads which of `ids` in `collection` the caller may see (the row filter applied as the system). */
export type VisibleIds = (collection: string, ids: Array<string | number>) => Promise<Set<string>>;

const USERS = 'directus_users';

/**
 * After a read: a many-to-one expansion into a row the caller may not see (a hidden parent post, a message
 * of a group they left) comes back as `null`, never with its content; other people's profiles lose the
 * e-mail address unless the caller teaches them. One-to-many expansions are already scoped in the query.
 */
export async function hideInvisibleRelations(
	collection: string,
	rows: Row[],
	query: Query,
	access: AccessContext,
	visibleIds: VisibleIds,
): Promise<void> {
	await walk(collection, rows, fieldTree(query.fields ?? []), access, visibleIds);
}

/** Other people's profiles read straight from `/users`. */
export async function hideProfileFields(rows: unknown[], access: AccessContext): Promise<void> {
	await blankEmails(rows.filter(isRow), access);
}

async function walk(collection: string, rows: Row[], tree: FieldTree, access: AccessContext, visibleIds: VisibleIds): Promise<void> {
	const rule = ruleFor(collection);
	if (!rule) return;
	for (const [field, children] of tree) {
		const relation = rule.relations[field];
		if (!relation) continue;
		const related = rows.flatMap((row) => {
			const value = row[field];
			if (Array.isArray(value)) return value.filter(isRow);
			return isRow(value) ? [value] : [];
		});
		if (related.length === 0) continue;
		if (relation.collection === USERS) {
			await blankEmails(related, access);
			continue;
		}
		let shown = related;
		if (relation.kind === 'm2o' && isScopedCollection(relation.collection)) {
			const visible = await visibleIds(
				relation.collection,
				related.map((row) => row['id'] as string | number),
			);
			for (const row of rows) {
				const value = row[field];
				if (isRow(value) && !visible.has(String(value['id']))) row[field] = null;
			}
			shown = related.filter((row) => visible.has(String(row['id'])));
		}
		await walk(relation.collection, shown, children, access, visibleIds);
	}
}

async function blankEmails(profiles: Row[], access: AccessContext): Promise<void> {
	if (!profiles.some((profile) => 'email' in profile)) return;
	const taught = await access.taughtMemberIds();
	for (const profile of profiles) {
		const id = String(profile['id'] ?? '');
		if ('email' in profile && id !== access.userId && !taught.has(id)) profile['email'] = null;
	}
}

function isRow(value: unknown): value is Row {
	return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** `['a.b', 'a.c', 'd']` → a → {b, c}, d. */
function fieldTree(fields: readonly string[]): FieldTree {
	const root: FieldTree = new Map();
	for (const field of fields) {
		let node = root;
		for (const segment of field.split('.')) {
			if (!node.has(segment)) node.set(segment, new Map());
			node = node.get(segment)!;
		}
	}
	return root;
}
