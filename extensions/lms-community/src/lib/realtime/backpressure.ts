/**
 * Backpressure: a receiver that stops reading (a phone in a tunnel, a stalled tab) makes the server queue
 * every broadcast for it. Past a cap the socket is closed instead: the client reconnects and `message:sync`
 * brings it up to date from its cursor (docs/realtime.md), so nothing it was owed is lost, and the server's
 * memory per socket stays bounded.
 */
export interface BufferCaps {
	/** Packets waiting in Engine.IO's write buffer (the transport is not writable). */
	maxPackets: number;
	/** Bytes the WebSocket has handed to the kernel but not sent yet. */
	maxBytes: number;
}

export interface BufferedSocket {
	/** Engine.IO's connection: its write buffer, and the transport's WebSocket when upgraded. */
	conn: { writeBuffer?: unknown[]; transport?: { socket?: { bufferedAmount?: number } } };
}

/** Whether a socket's unsent data is over the caps. */
export function overBufferCaps(socket: BufferedSocket, caps: BufferCaps): boolean {
	const packets = socket.conn.writeBuffer?.length ?? 0;
	const bytes = socket.conn.transport?.socket?.bufferedAmount ?? 0;
	return packets > caps.maxPackets || bytes > caps.maxBytes;
}
