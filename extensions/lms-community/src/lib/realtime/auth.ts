import type { Accountability } from '@directus/types';
import jwt from 'jsonwebtoken';
import type { Knex } from 'knex';

export type AuthFailure = 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'USER_INACTIVE';

export class SocketAuthError extends Error {
	constructor(readonly code: AuthFailure) {
		super(
			{
				TOKEN_MISSING: 'Send a Directus access token in auth.token.',
				TOKEN_INVALID: 'The access token is not valid.',
				TOKEN_EXPIRED: 'The access token has expired.',
				USER_INACTIVE: 'This account is not active.',
			}[code],
		);
	}
}

export interface SocketIdentity {
	userId: string;
	accountability: Accountability;
	/** Epoch ms when the token expires. */
	expiresAt: number;
}

interface DirectusAccessPayload {
	id?: string;
	role?: string | null;
	app_access?: boolean | number;
	admin_access?: boolean | number;
	exp?: number;
	share?: string;
}

/**
 * Verifies a Directus access token the way Directus does (HS256 with its SECRET, issuer `directus`; `alg: none`
 * and other algorithms are refused), then checks that the user is still active. The accountability mirrors
 * Directus's own for the token: user, role, admin and app access from the claims.
 */
export async function verifySocketToken(token: unknown, secret: string, knex: Knex, ip: string | null): Promise<SocketIdentity> {
	if (typeof token !== 'string' || token.length === 0) throw new SocketAuthError('TOKEN_MISSING');
	let payload: DirectusAccessPayload;
	try {
		payload = jwt.verify(token, secret, { issuer: 'directus', algorithms: ['HS256'] }) as DirectusAccessPayload;
	} catch (error) {
		throw new SocketAuthError(error instanceof jwt.TokenExpiredError ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID');
	}
	if (!payload.id || payload.share || payload.role === undefined || payload.exp === undefined) throw new SocketAuthError('TOKEN_INVALID');
	const user = await knex('directus_users').select('status').where({ id: payload.id }).first();
	if (!user || user.status !== 'active') throw new SocketAuthError('USER_INACTIVE');
	const role = payload.role ?? null;
	return {
		userId: payload.id,
		expiresAt: payload.exp * 1000,
		accountability: {
			user: payload.id,
			role,
			roles: role ? [role] : [],
			admin: payload.admin_access === true || payload.admin_access === 1,
			app: payload.app_access === true || payload.app_access === 1,
			ip,
		},
	};
}
