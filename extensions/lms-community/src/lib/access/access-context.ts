import type { Accountability } from '@directus/types';
import type { Knex } from 'knex';
import { loadAccessScope } from './load-scope.js';
import { PUBLIC_PROFILE_FIELDS } from './row-filters.js';
import type { AccessScope } from './scope.js';

/**
 * What the read guard knows about one non-admin caller during one request: their scope (two indexed reads),
 * and, only when a query needs them, the people they share a group with and the members of the groups they
 * teach. Made once per HTTP request by the request guard and reused by every hook of that request; outside a
 * request (internal reads) a fresh one is made per query, so nothing outlives the request.
 */
export interface AccessContext {
	userId: string;
	/** Instructors (admin-app users) see the e-mail of members of the groups they teach; nobody else does. */
	seesMemberEmails: boolean;
	/** Loaded on first use: most admin-app requests (settings, fields, files) never need it. */
	scope(): Promise<AccessScope>;
	coMemberIds(): Promise<string[]>;
	taughtMemberIds(): Promise<Set<string>>;
	/** Other people's profile fields this caller may name in a query. */
	profileFields: readonly string[];
}

const contexts = new WeakMap<Accountability, AccessContext>();

export function createAccessContext(knex: Knex, accountability: Accountability & { user: string }): AccessContext {
	let loaded: Promise<AccessScope> | null = null;
	const scope = () => (loaded ??= loadAccessScope(knex, accountability.user));
	const seesMemberEmails = accountability.app === true;
	let coMembers: Promise<string[]> | null = null;
	let taught: Promise<Set<string>> | null = null;
	return {
		userId: accountability.user,
		seesMemberEmails,
		scope,
		profileFields: seesMemberEmails ? [...PUBLIC_PROFILE_FIELDS, 'email'] : PUBLIC_PROFILE_FIELDS,
		coMemberIds() {
			coMembers ??= scope()
				.then((s) => usersOfGroups(knex, s.readableGroupIds))
				.then((ids) => ids.filter((id) => id !== accountability.user));
			return coMembers;
		},
		taughtMemberIds() {
			taught ??= scope().then(async (s) => new Set(seesMemberEmails ? await usersOfGroups(knex, s.taughtGroupIds) : []));
			return taught;
		},
	};
}

async function usersOfGroups(knex: Knex, groupIds: number[]): Promise<string[]> {
	if (groupIds.length === 0) return [];
	const rows: Array<{ user: string }> = await knex('community_members').distinct('user').whereIn('group', groupIds);
	return rows.map((row) => row.user);
}

/** The request's context, if the request guard made one for this accountability. */
export function requestAccessContext(accountability: Accountability): AccessContext | undefined {
	return contexts.get(accountability);
}

export function rememberAccessContext(accountability: Accountability, context: AccessContext): () => void {
	contexts.set(accountability, context);
	return () => contexts.delete(accountability);
}

export function accessContextFor(knex: Knex, accountability: Accountability & { user: string }): AccessContext {
	return requestAccessContext(accountability) ?? createAccessContext(knex, accountability);
}
