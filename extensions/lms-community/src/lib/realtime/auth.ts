import { BatchedReads, batchedReadsPer, rowsPerKey } from '../db/batched-reads.js';
import { compiledStatement } from '../db/prepared.js';
import { isPostgres } from '../setup/search-index.js';
import type { Accountability } from '@directus/types';
import { ipInNetworks } from '@directus/utils/node';
import jwt from 'jsonwebtoken';
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { Knex } from 'knex';

export type AuthFailure = 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'USER_INACTIVE' | 'SESSION_ENDED' | 'ORIGIN_NOT_ALLOWED';

export class SocketAuthError extends Error {
	constructor(readonly code: AuthFailure) {
		super(
			{
				TOKEN_MISSING: 'Send a Directus access token in auth.token.',
				TOKEN_INVALID: 'The access token is not valid.',
				TOKEN_EXPIRED: 'The access token has expired.',
				USER_INACTIVE: 'This account is not active.',
				SESSION_ENDED: 'The session of this token has ended (logged out or revoked): log in again.',
				ORIGIN_NOT_ALLOWED: "A session cookie is accepted only from the admin app's own origin (PUBLIC_URL).",
			}[code],
		);
	}
}

export interface SocketIdentity {
	userId: string;
	accountability: Accountability;
	/** Epoch ms when the token expires. */
	expiresAt: number;
	/** Directus session the token belongs to (session-mode tokens); JSON-mode tokens carry none. */
	session: string | null;
	/**
	 * A policy of the user's grants `create` on `community_messages`: the socket's send path stores messages
	 * itself, so it asks Directus's permissions the question ItemsService would have (read at connect and refresh).
	 */
	sendsChat: boolean;
}

interface DirectusAccessPayload {
	id?: string;
	role?: string | null;
	app_access?: boolean | number;
	admin_access?: boolean | number;
	exp?: number;
	share?: string;
	session?: string;
	/** OAuth (MCP) tokens carry an audience and scopes: Directus confines them to their route. */
	aud?: unknown;
	scope?: unknown;
}

const secretKeys = new Map<string, KeyObject>();

/** The secret as a KeyObject, made once: given a string, jsonwebtoken first tries (and fails) to parse a public key on every verify. */
function keyOf(secret: string): KeyObject {
	let key = secretKeys.get(secret);
	if (!key) {
		key = createSecretKey(Buffer.from(secret));
		secretKeys.set(secret, key);
	}
	return key;
}

/**
 * Verifies a Directus access token the way Directus does for REST (HS256 with its SECRET, issuer `directus`;
 * `alg: none` and other algorithms are refused; a session-mode token's session must still exist). Tokens that
 * Directus confines to one route (OAuth/MCP sessions) are refused. The user's status, role, admin and app
 * access are read from the database, never from the token's claims.
 */
export async function verifySocketToken(token: unknown, secret: string, knex: Knex, ip: string | null): Promise<SocketIdentity> {
	if (typeof token !== 'string' || token.length === 0) throw new SocketAuthError('TOKEN_MISSING');
	let payload: DirectusAccessPayload;
	try {
		payload = jwt.verify(token, keyOf(secret), { issuer: 'directus', algorithms: ['HS256'] }) as DirectusAccessPayload;
	} catch (error) {
		throw new SocketAuthError(error instanceof jwt.TokenExpiredError ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID');
	}
	if (!payload.id || payload.share || payload.exp === undefined || payload.aud !== undefined || payload.scope !== undefined)
		throw new SocketAuthError('TOKEN_INVALID');
	const session = typeof payload.session === 'string' ? payload.session : null;
	const rows = await loadTokenUser(knex, payload.id, session);
	const user = rows[0];
	if (session && !user?.session_found) throw new SocketAuthError('SESSION_ENDED');
	if (session && user?.oauth_client) throw new SocketAuthError('TOKEN_INVALID');
	if (!user || user.status !== 'active') throw new SocketAuthError('USER_INACTIVE');
	const role: string | null = user.role ?? null;
	const roles = await rolesTree(knex, role, user.role_parent ?? null);
	// The statement above brought the policies of the user and of their role; a nested role's parents' need their own.
	const policies = roles.length > 1 ? await attachedPolicies(knex, payload.id, roles) : rows.filter((row) => row.policy_found);
	const access = globalAccess(policies, ip);
	return {
		userId: payload.id,
		expiresAt: payload.exp * 1000,
		session,
		sendsChat: access.sendsChat,
		accountability: { user: payload.id, role, roles, admin: access.admin, app: access.app, ip },
	};
}

interface AttachedPolicy {
	admin_access: unknown;
	app_access: unknown;
	ip_access: unknown;
	sends_chat: unknown;
}

interface TokenUser extends AttachedPolicy {
	status: string;
	role: string | null;
	role_parent: string | null;
	session_found: unknown;
	oauth_client: unknown;
	policy_found: unknown;
}

/** Whether a policy grants `create` on `community_messages` (the question ItemsService would ask on a send). */
const sendsChatColumn = (knex: Knex) =>
	knex.raw('exists (select 1 from ?? as ?? where ?? = ?? and ?? = ? and ?? = ?) as ??', [
		'directus_permissions',
		'dp',
		'dp.policy',
		'p.id',
		'dp.collection',
		'community_messages',
		'dp.action',
		'create',
		'sends_chat',
	]);
const POLICY_COLUMNS = ['p.admin_access', 'p.app_access', 'p.ip_access'];

/** The token user's role, session and policies, joined onto `query` (which reads `directus_users as u`). */
function withSessionAndPolicies(knex: Knex, query: Knex.QueryBuilder, session: Knex.Raw | string, now: Date): Knex.QueryBuilder {
	return query
		.leftJoin('directus_roles as r', 'r.id', 'u.role')
		.leftJoin('directus_sessions as s', (join) =>
			join
				.on('s.user', '=', 'u.id')
				.andOn('s.token', '=', session)
				.andOnNull('s.share')
				.andOn('s.expires', '>=', knex.raw('?', [now])),
		)
		.leftJoin('directus_access as a', (join) => join.on('a.user', '=', 'u.id').orOn('a.role', '=', 'u.role'))
		.leftJoin('directus_policies as p', 'p.id', 'a.policy')
		.select(
			'u.status',
			'u.role',
			'r.parent as role_parent',
			's.token as session_found',
			's.oauth_client',
			'p.id as policy_found',
			...POLICY_COLUMNS,
			sendsChatColumn(knex),
		);
}

/**
 * The token's user, their role's parent, (session-mode tokens) their session by Directus's own rule
 * (verifySessionJWT: the row exists for this user, is no share and has not expired), and the policies attached to
 * the user or to their role, in one statement: one row per policy, or one row without a policy. Every connect
 * and every access re-check runs it; on PostgreSQL it is compiled, prepared, and batched with the others in flight.
 */
const tokenUserStatement = compiledStatement((knex: Knex, userId: string, session: string, now: Date) =>
	withSessionAndPolicies(knex, knex('directus_users as u'), knex.raw('?', [session]), now).where('u.id', userId),
);

/** The same for many tokens at once (PostgreSQL): rows tagged with their token's position. */
const tokenUsersStatement = compiledStatement((knex: Knex, userIds: string[], sessions: string[], now: Date) =>
	withSessionAndPolicies(
		knex,
		knex
			.from(knex.raw('unnest(?::uuid[], ?::text[]) with ordinality as k(user_id, session, lms_batch_ord)', [userIds, sessions]))
			.join('directus_users as u', 'u.id', 'k.user_id'),
		'k.session',
		now,
	).select('k.lms_batch_ord'),
);

/** Tokens checked in one statement at most (a connect storm's queue is taken in slices of this). */
const TOKEN_BATCH_MAX = 200;

interface TokenKey {
	userId: string;
	session: string;
}

const tokenUserReads = batchedReadsPer(
	(knex) =>
		new BatchedReads<TokenKey, TokenUser[]>(
			(key) => tokenUserStatement<TokenUser>(knex, key.userId, key.session, new Date()),
			async (keys) =>
				rowsPerKey(
					await tokenUsersStatement<TokenUser & { lms_batch_ord: string }>(
						knex,
						keys.map((key) => key.userId),
						keys.map((key) => key.session),
						new Date(),
					),
					keys.length,
				),
			TOKEN_BATCH_MAX,
		),
);
function loadTokenUser(knex: Knex, userId: string, session: string | null): Promise<TokenUser[]> {
	if (!isPostgres(knex)) return tokenUserStatement<TokenUser>(knex, userId, session ?? '', new Date());
	return tokenUserReads(knex).load({ userId, session: session ?? '' });
}

/** The role and its parents, as Directus resolves them for permissions. */
async function rolesTree(knex: Knex, role: string | null, parent: string | null): Promise<string[]> {
	if (!role) return [];
	const roles: string[] = [role];
	let current = parent;
	while (current && !roles.includes(current)) {
		roles.push(current);
		const row = await knex('directus_roles').select('parent').where({ id: current }).first();
		current = row?.parent ?? null;
	}
	return roles;
}

/** The policies attached to the user or to any of their roles (a nested role's parents included). */
async function attachedPolicies(knex: Knex, user: string, roles: string[]): Promise<AttachedPolicy[]> {
	return knex('directus_access as a')
		.join('directus_policies as p', 'p.id', 'a.policy')
		.select(...POLICY_COLUMNS, sendsChatColumn(knex))
		.where((query) => {
			query.where('a.user', user);
			if (roles.length > 0) query.orWhereIn('a.role', roles);
		});
}

/** A connected user's admin and app access and right to send chat as they are now (the re-check: roles change). */
export async function currentAccess(
	knex: Knex,
	userId: string,
	ip: string | null,
): Promise<{ admin: boolean; app: boolean; sendsChat: boolean }> {
	const rows = await loadTokenUser(knex, userId, null);
	const user = rows[0];
	if (!user) return { admin: false, app: false, sendsChat: false };
	const roles = await rolesTree(knex, user.role ?? null, user.role_parent ?? null);
	const policies = roles.length > 1 ? await attachedPolicies(knex, userId, roles) : rows.filter((row) => row.policy_found);
	return globalAccess(policies, ip);
}

/** Admin and app access, and the right to send chat, from the user's policies. */
function globalAccess(attached: AttachedPolicy[], ip: string | null): { admin: boolean; app: boolean; sendsChat: boolean } {
	// A policy limited to some networks counts only from them, as Directus's filterPoliciesByIp decides for REST.
	const rows = attached.filter((row) => policyAppliesFrom(row.ip_access, ip));
	const truthy = (value: unknown) => value === true || value === 1 || value === '1';
	const admin = rows.some((row) => truthy(row.admin_access));
	return {
		admin,
		app: admin || rows.some((row) => truthy(row.app_access)),
		sendsChat: admin || rows.some((row) => truthy(row.sends_chat)),
	};
}

/** Directus stores a policy's `ip_access` as a comma-separated list of addresses, ranges and subnets. */
export function policyAppliesFrom(ipAccess: unknown, ip: string | null): boolean {
	const networks = (typeof ipAccess === 'string' ? ipAccess.split(',') : Array.isArray(ipAccess) ? ipAccess : [])
		.map((network) => String(network).trim())
		.filter((network) => network.length > 0);
	if (networks.length === 0) return true;
	if (!ip) return false;
	try {
		return ipInNetworks(ip, networks);
	} catch {
		return false;
	}
}
