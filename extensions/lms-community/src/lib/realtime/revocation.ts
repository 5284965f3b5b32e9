import type { Knex } from 'knex';
import { currentAccess, SocketAuthError } from './auth.js';
import { decideRevocations, loadAccessFacts, type WatchedSocket } from './access-watch.js';
import { followAdminAccess } from './handlers/moderation.js';
import type { GroupRooms } from './rooms.js';
import { SocketsByAddress, socketsOverCap } from './socket-caps.js';
import { MODERATION_ADMINS_ROOM, userRoom, type CommunityIo, type CommunitySocket } from './types.js';

/**
 * Ending access on the socket: a membership that ends takes its socket out of the group (`group:removed`),
 * an account or session that ends closes its sockets for good (`auth:revoked`), on every instance; and the
 * per-user and per-IP connection caps. Directus has no logout hook: sessions, user status and enrollment dates
 * are also re-checked in batches (access-watch.ts).
 */
export class Revocations {
	private readonly byAddress = new SocketsByAddress<CommunitySocket>();

	constructor(
		private readonly io: CommunityIo,
		private readonly rooms: GroupRooms,
		private readonly knex: Knex,
		/** Whether other instances exist to tell (the Redis adapter; the in-memory one has no serverSideEmit). */
		private readonly clustered: boolean,
	) {
		io.on('community:revoke', ({ group, user }) => void this.leaveGroupHere(group, user).catch(() => undefined));
		io.on('community:user-revoked', ({ user }) => void this.endUserHere(user).catch(() => undefined));
	}

	private async localSockets(user: string): Promise<CommunitySocket[]> {
		const remotes = await this.io.in(userRoom(user)).local.fetchSockets();
		return remotes.map((remote) => this.io.sockets.sockets.get(remote.id)).filter((socket) => socket !== undefined);
	}

	private async leaveGroupHere(group: number, user: string): Promise<void> {
		for (const socket of await this.localSockets(user)) await this.rooms.leave(socket, group);
	}

	private async endUserHere(user: string): Promise<void> {
		for (const socket of await this.localSockets(user)) this.endSocket(socket, 'USER_INACTIVE');
	}

	/** A terminal answer: the client must not reconnect with this token (docs/realtime.md). */
	endSocket(socket: CommunitySocket, code: 'SESSION_ENDED' | 'USER_INACTIVE'): void {
		socket.emit('auth:revoked', { code, message: new SocketAuthError(code).message });
		socket.disconnect(true);
	}

	async membershipEnded(group: number, user: string, reason: string): Promise<void> {
		this.io.to(userRoom(user)).emit('group:removed', { group, reason });
		if (this.clustered) this.io.serverSideEmit('community:revoke', { group, user });
		await this.leaveGroupHere(group, user);
	}

	async userEnded(user: string): Promise<void> {
		if (this.clustered) this.io.serverSideEmit('community:user-revoked', { user });
		await this.endUserHere(user);
	}

	/** One batched re-check of this instance's sockets. */
	async recheck(): Promise<void> {
		const sockets = [...this.io.sockets.sockets.values()];
		const watched: WatchedSocket[] = sockets.map((socket) => ({
			id: socket.id,
			userId: socket.data.identity.userId,
			session: socket.data.identity.session,
			groups: socket.data.identity.accountability.admin ? [] : [...socket.data.groups],
		}));
		for (const revocation of decideRevocations(watched, await loadAccessFacts(this.knex, watched))) {
			const socket = this.io.sockets.sockets.get(revocation.socketId);
			if (!socket) continue;
			if (revocation.kind === 'socket') this.endSocket(socket, revocation.code);
			else {
				socket.emit('group:removed', { group: revocation.group, reason: 'expired' });
				await this.rooms.leave(socket, revocation.group);
			}
		}
		await this.recheckAdmins();
	}

	/** Sockets subscribed as admins to the moderation queues: one whose admin access ended stops hearing every group. */
	private async recheckAdmins(): Promise<void> {
		for (const socket of this.io.sockets.sockets.values()) {
			if (!socket.connected || !socket.rooms.has(MODERATION_ADMINS_ROOM)) continue;
			const { identity } = socket.data;
			const access = await currentAccess(this.knex, identity.userId, identity.accountability.ip ?? null);
			if (access.admin) continue;
			socket.data.identity = {
				...identity,
				sendsChat: access.sendsChat,
				accountability: { ...identity.accountability, admin: access.admin, app: access.app },
			};
			await followAdminAccess(socket);
		}
	}

	/** A closed socket leaves the per-IP count. */
	forget(socket: CommunitySocket): void {
		this.byAddress.remove(socket.data.address, socket);
	}

	/** Beyond the caps the oldest connections close, with a code that says why (a newer device took over). */
	async enforceCaps(socket: CommunitySocket, caps: { perIp: number; perUser: number }): Promise<void> {
		const tooMany = { code: 'TOO_MANY_CONNECTIONS', message: 'A newer connection took this one over.' } as const;
		this.byAddress.add(socket.data.address, socket);
		// Listed only past the cap: many students behind one school NAT share an address.
		if (this.byAddress.count(socket.data.address) > caps.perIp) {
			const sameAddress = this.byAddress
				.of(socket.data.address)
				.map((other) => ({ id: other.id, issued: other.data.issued, socket: other }));
			for (const old of socketsOverCap(sameAddress, caps.perIp)) {
				old.socket.emit('connection:closed', tooMany);
				old.socket.disconnect(true);
			}
		}
		const sameUser = (await this.io.in(userRoom(socket.data.identity.userId)).fetchSockets()).map((remote) => ({
			id: remote.id,
			issued: remote.data.issued,
			remote,
		}));
		for (const old of socketsOverCap(sameUser, caps.perUser)) {
			old.remote.emit('connection:closed', tooMany);
			old.remote.disconnect(true);
		}
	}
}
