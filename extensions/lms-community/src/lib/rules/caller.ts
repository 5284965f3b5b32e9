import type { Accountability } from '@directus/types';
import { AuthenticationRequiredError, ForbiddenError, InvalidPayloadError } from '../errors/index.js';
import { Id } from './schemas.js';

/** Who is acting: `system` (no accountability: the bundle itself, the CLI), an admin, or a person. */
export type Caller = { kind: 'system' } | { kind: 'admin'; userId: string | null } | { kind: 'user'; userId: string };

export function callerOf(accountability: Accountability | null | undefined): Caller | { kind: 'anonymous' } {
	if (!accountability) return { kind: 'system' };
	if (accountability.admin) return { kind: 'admin', userId: accountability.user ?? null };
	if (!accountability.user) return { kind: 'anonymous' };
	return { kind: 'user', userId: accountability.user };
}

/** A person calling a /community endpoint; `app`: admin-app access (the Instructor role, admins). */
export interface SignedInCaller {
	userId: string;
	admin: boolean;
	app: boolean;
}

/** A logged-in person (admins included), or 401. */
export function requireUser(accountability: Accountability | null | undefined): SignedInCaller {
	const caller = callerOf(accountability);
	if (caller.kind === 'user') return { userId: caller.userId, admin: false, app: accountability?.app === true };
	if (caller.kind === 'admin' && caller.userId) return { userId: caller.userId, admin: true, app: true };
	throw new AuthenticationRequiredError();
}

/**
 * The person writing through a rule hook, or null when an admin or the system writes (their writes are not
 * scoped by group rules); anonymous writers get 401.
 */
export function personWriting(accountability: Accountability | null | undefined): string | null {
	const caller = callerOf(accountability);
	if (caller.kind === 'anonymous') throw new AuthenticationRequiredError();
	return caller.kind === 'user' ? caller.userId : null;
}

/** The keys of a write as ids; a key that cannot be an id answers like a missing row, as Directus answers keys of the wrong type. */
export function storedKeys(keys: Array<string | number>): number[] {
	return keys.map((key) => {
		const parsed = Id.safeParse(key);
		if (!parsed.success) throw new ForbiddenError();
		return parsed.data;
	});
}

/** Members change one row at a time; writes to many rows at once are the admin's. */
export function singleKey(keys: Array<string | number>, noun: string): number {
	if (keys.length !== 1) throw new InvalidPayloadError({ reason: `update one ${noun} at a time` });
	return storedKeys(keys)[0]!;
}
