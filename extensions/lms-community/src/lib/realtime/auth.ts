import type { Accountability } from '@directus/types';
import jwt from 'jsonwebtoken';
import type { Knex } from 'knex';

export type AuthFailure = 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'USER_INACTIVE' | 'SESSION_ENDED';

export class SocketAuthError extends Error {
	constructor(readonly code: AuthFailure) {
		super(
			{
				TOKEN_MISSING: 'Send a Directus access token in auth.token.',
				TOKEN_INVALID: 'The access token is not valid.',
				TOKEN_EXPIRED: 'The access token has expired.',
				USER_INACTIVE: 'This account is not active.',
				SESSION_ENDED: 'The session of this token has ended (logged out or revoked): log in again.',
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
		payload = jwt.verify(token, secret, { issuer: 'directus', algorithms: ['HS256'] }) as DirectusAccessPayload;
	} catch (error) {
		throw new SocketAuthError(error instanceof jwt.TokenExpiredError ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID');
	}
	if (!payload.id || payload.share || payload.exp === undefined || payload.aud !== undefined || payload.scope !== undefined)
		throw new SocketAuthError('TOKEN_INVALID');
	const session = typeof payload.session === 'string' ? payload.session : null;
	if (session) await assertSessionUsable(knex, session, payload.id);
	const user = await knex('directus_users').select('status', 'role').where({ id: payload.id }).first();
	if (!user || user.status !== 'active') throw new SocketAuthError('USER_INACTIVE');
	const role: string | null = user.role ?? null;
	const roles = await rolesTree(knex, role);
	const access = await globalAccess(knex, payload.id, roles);
	return {
		userId: payload.id,
		expiresAt: payload.exp * 1000,
		session,
		accountability: { user: payload.id, role, roles, admin: access.admin, app: access.app, ip },
	};
}

/** Directus's own rule (verifySessionJWT): the session row exists and has not expired; OAuth sessions stay on their route. */
async function assertSessionUsable(knex: Knex, session: string, user: string): Promise<void> {
	const row = await knex('directus_sessions')
		.select('oauth_client')
		.where({ token: session, user })
		.whereNull('share')
		.andWhere('expires', '>=', new Date())
		.first();
	if (!row) throw new SocketAuthError('SESSION_ENDED');
	if (row.oauth_client) throw new SocketAuthError('TOKEN_INVALID');
}

/** The role and its parents, as Directus resolves them for permissions. */
async function rolesTree(knex: Knex, role: string | null): Promise<string[]> {
	const roles: string[] = [];
	let current = role;
	while (current && !roles.includes(current)) {
		roles.push(current);
		const row = await knex('directus_roles').select('parent').where({ id: current }).first();
		current = row?.parent ?? null;
	}
	return roles;
}

/** Admin and app access from the policies attached to the user or to their roles. */
async function globalAccess(knex: Knex, user: string, roles: string[]): Promise<{ admin: boolean; app: boolean }> {
	const rows: Array<{ admin_access: unknown; app_access: unknown }> = await knex('directus_access as a')
		.join('directus_policies as p', 'p.id', 'a.policy')
		.select('p.admin_access', 'p.app_access')
		.where((query) => {
			query.where('a.user', user);
			if (roles.length > 0) query.orWhereIn('a.role', roles);
		});
	const truthy = (value: unknown) => value === true || value === 1 || value === '1';
	const admin = rows.some((row) => truthy(row.admin_access));
	return { admin, app: admin || rows.some((row) => truthy(row.app_access)) };
}
