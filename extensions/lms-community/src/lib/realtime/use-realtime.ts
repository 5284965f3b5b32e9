import type { RealtimeServer } from './server.js';

/** The running socket server of this process, if any (none in CLI commands): hooks and endpoints share it. */
let current: RealtimeServer | null = null;

export function useRealtime(): RealtimeServer | null {
	return current;
}

export function setRealtime(server: RealtimeServer | null): void {
	current = server;
}
