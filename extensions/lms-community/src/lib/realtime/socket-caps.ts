import type { IncomingHttpHeaders } from 'node:http';

/** The client's address: the peer, or the first X-Forwarded-For hop when the proxy is trusted. */
export function clientAddress(handshake: { address: string; headers: IncomingHttpHeaders }, trustProxy: boolean): string {
	const forwarded = handshake.headers['x-forwarded-for'];
	const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
	return trustProxy && first ? first : handshake.address;
}

export interface LiveSocket {
	id: string;
	/** When the socket connected (epoch ms). */
	issued: number;
}

/** The oldest sockets to close so that at most `cap` stay, the newest kept. */
export function socketsOverCap<T extends LiveSocket>(sockets: T[], cap: number): T[] {
	if (sockets.length <= cap) return [];
	return [...sockets].sort((a, b) => a.issued - b.issued).slice(0, sockets.length - cap);
}

/** This instance's sockets by client address: the per-IP cap looks at one address's sockets, never at all of them. */
export class SocketsByAddress<T> {
	private readonly byAddress = new Map<string, Set<T>>();

	add(address: string, socket: T): void {
		const sockets = this.byAddress.get(address) ?? new Set<T>();
		sockets.add(socket);
		this.byAddress.set(address, sockets);
	}

	remove(address: string, socket: T): void {
		const sockets = this.byAddress.get(address);
		if (!sockets?.delete(socket)) return;
		if (sockets.size === 0) this.byAddress.delete(address);
	}

	count(address: string): number {
		return this.byAddress.get(address)?.size ?? 0;
	}

	of(address: string): T[] {
		return [...(this.byAddress.get(address) ?? [])];
	}
}
