import type { CommunityBus } from './bus.js';
import type { RealtimeServer } from './server.js';

/** The running socket server of this process, if any (none in CLI commands): hooks and endpoints share it. */
let current: RealtimeServer | null = null;

export function useRealtime(): RealtimeServer | null {
	return current;
}

/** The broadcasts of this process's socket server, if it runs: what every write path tells clients. */
export function useBus(): CommunityBus | null {
	return current?.bus ?? null;
}

export function setRealtime(server: RealtimeServer | null): void {
	current = server;
}
