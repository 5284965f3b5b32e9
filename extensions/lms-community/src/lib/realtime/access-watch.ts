import type { Knex } from 'knex';
import { enrollmentGivesAccess, type EnrollmentFacts } from '../access/scope.js';

/** What one connected socket holds, as the watch sees it. */
export interface WatchedSocket {
	id: string;
	userId: string;
	session: string | null;
	groups: number[];
}

/** Facts about the connected users, read in a few batched queries. */
export interface AccessFacts {
	activeUsers: Set<string>;
	/** Session tokens that still exist and have not expired. */
	liveSessions: Set<string>;
	/** `user:group` for every group a user may read right now (membership active or muted, enrollment giving access). */
	readableGroups: Set<string>;
}

export type Revocation =
	{ kind: 'socket'; socketId: string; code: 'SESSION_ENDED' | 'USER_INACTIVE' } | { kind: 'group'; socketId: string; group: number };

/**
 * Which sockets must end and which group rooms they must leave, given fresh facts. A socket whose user is
 * no longer active or whose session ended ends altogether; a group whose access ended (an enrollment that
 * expired a second ago, a membership ended on another path) is left.
 */
export function decideRevocations(sockets: WatchedSocket[], facts: AccessFacts): Revocation[] {
	const revocations: Revocation[] = [];
	for (const socket of sockets) {
		if (!facts.activeUsers.has(socket.userId)) {
			revocations.push({ kind: 'socket', socketId: socket.id, code: 'USER_INACTIVE' });
			continue;
		}
		if (socket.session && !facts.liveSessions.has(socket.session)) {
			revocations.push({ kind: 'socket', socketId: socket.id, code: 'SESSION_ENDED' });
			continue;
		}
		for (const group of socket.groups)
			if (!facts.readableGroups.has(`${socket.userId}:${group}`)) revocations.push({ kind: 'group', socketId: socket.id, group });
	}
	return revocations;
}

/** Reads the facts for a batch of sockets: three queries whatever the number of sockets. */
export async function loadAccessFacts(knex: Knex, sockets: WatchedSocket[], now = new Date()): Promise<AccessFacts> {
	const users = [...new Set(sockets.map((socket) => socket.userId))];
	const sessions = [...new Set(sockets.flatMap((socket) => (socket.session ? [socket.session] : [])))];
	if (users.length === 0) return { activeUsers: new Set(), liveSessions: new Set(), readableGroups: new Set() };
	const [userRows, sessionRows, memberRows] = await Promise.all([
		knex('directus_users').select('id').whereIn('id', users).andWhere('status', 'active'),
		sessions.length === 0
			? Promise.resolve([])
			: knex('directus_sessions').select('token').whereIn('token', sessions).andWhere('expires', '>=', now).whereNull('oauth_client'),
		knex('community_members as m')
			.join('community_groups as g', 'g.id', 'm.group')
			.join('enrollments as e', (join) => join.on('e.course', '=', 'g.course').andOn('e.user', '=', 'm.user'))
			.select('m.user as user', 'm.group as group', 'e.status as status', 'e.starts_at as starts_at', 'e.expires_at as expires_at')
			.whereIn('m.user', users)
			.whereIn('m.status', ['active', 'muted']),
	]);
	return {
		activeUsers: new Set(userRows.map((row: { id: string }) => String(row.id))),
		liveSessions: new Set(sessionRows.map((row: { token: string }) => row.token)),
		readableGroups: new Set(
			(memberRows as Array<Omit<EnrollmentFacts, 'course' | 'role'> & { user: string; group: number }>)
				.filter((row) => enrollmentGivesAccess(row, now))
				.map((row) => `${row.user}:${row.group}`),
		),
	};
}
