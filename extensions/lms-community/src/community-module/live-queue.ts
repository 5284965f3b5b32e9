// The browser build: the package's default export for bundlers is its Node build (shims-socket-io-client.d.ts).
import io from 'socket.io-client/dist/socket.io.js';

/** Changes that arrive together (a resolution settles several reports) cause one reload. */
const COALESCE_MS = 300;
/** While the socket is down, the queue refreshes as often as the page did before it was live. */
const FALLBACK_REFRESH_MS = 10_000;
/** After the server ended the connection (token expired, session rotated by a refresh), connect again. */
const RECONNECT_MS = 2_000;
/** After a refused connection (logged out meanwhile), try again slowly. */
const RETRY_REFUSED_MS = 30_000;

/**
 * Live changes of the moderation queues the user moderates, from the bundle's socket (docs/realtime.md,
 * `moderation:subscribe` and `moderation:queue`). The admin app's session cookie authenticates it: the page
 * is on Directus's own origin, the only one the socket accepts a cookie from. `changed` runs on every change
 * (coalesced) and on every (re)connect, which catches up on whatever happened while the socket was down.
 * Answers a function that stops listening.
 */
export function watchModerationQueue(changed: () => void): () => void {
	// The admin app lives at `<base>/admin/…`; the socket at `<base>/community/socket.io`.
	const { location } = globalThis as unknown as { location: { origin: string; pathname: string } };
	const base = location.pathname.split('/admin')[0] ?? '';
	const socket = io(location.origin, { path: `${base}/community/socket.io`, transports: ['websocket'], withCredentials: true });
	let coalesce: ReturnType<typeof setTimeout> | undefined;
	let reconnect: ReturnType<typeof setTimeout> | undefined;

	const soon = () => {
		clearTimeout(coalesce);
		coalesce = setTimeout(changed, COALESCE_MS);
	};
	const connectAgain = (delay: number) => {
		clearTimeout(reconnect);
		reconnect = setTimeout(() => socket.connect(), delay);
	};

	socket.on('connect', () => {
		socket.emit('moderation:subscribe', {}, () => changed());
	});
	socket.on('moderation:queue', soon);
	// Socket.IO retries by itself after network failures, not after the server ended the connection or refused it.
	socket.on('disconnect', (reason) => {
		if (reason === 'io server disconnect') connectAgain(RECONNECT_MS);
	});
	socket.on('connect_error', () => {
		if (!socket.active) connectAgain(RETRY_REFUSED_MS);
	});
	const fallback = setInterval(() => {
		if (!socket.connected) changed();
	}, FALLBACK_REFRESH_MS);

	return () => {
		clearTimeout(coalesce);
		clearTimeout(reconnect);
		clearInterval(fallback);
		socket.off();
		socket.disconnect();
	};
}
