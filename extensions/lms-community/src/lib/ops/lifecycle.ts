/**
 * Whether this process is shutting down. Directus (terminus) closes its HTTP server on SIGTERM, SIGINT and
 * SIGHUP and emits `server.stop` only at the very end; a balancer probing a kept-alive connection meanwhile must
 * already be told to send nothing new here.
 */
let draining = false;

export const isDraining = (): boolean => draining;

export function startDraining(): void {
	draining = true;
}

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** Only in the server process (never in CLI commands): another listener keeps Node from exiting on these signals. */
export function drainOnShutdownSignals(): void {
	for (const signal of SHUTDOWN_SIGNALS) process.once(signal, startDraining);
}
