interface Logger {
	warn(error: unknown, message?: string): void;
}

/** At most one warning per this long: each rejected command would otherwise be a line (and a publish, queued again). */
const WARN_EVERY_MS = 60_000;

let installed = false;

/**
 * Directus's own Redis client (ioredis) gives up on the commands it queued once Redis has been away for about 11 s
 * (20 reconnection attempts), and Directus 12.4 fires some of them without awaiting: every log line published for
 * /websocket/logs, every item event published for its realtime. Their rejection would end the process. Only those
 * are logged here (nobody awaited them, so nothing else is lost); any other unhandled rejection still ends the
 * process, as Node does without a listener.
 */
export function surviveDirectusRedisOutages(logger: Logger, now: () => number = Date.now): void {
	if (installed) return;
	installed = true;
	let warnedAt = -Infinity;
	process.on('unhandledRejection', (reason) => {
		if (!(reason instanceof Error && reason.name === 'MaxRetriesPerRequestError')) throw reason;
		if (now() - warnedAt < WARN_EVERY_MS) return;
		warnedAt = now();
		logger.warn(reason, "community: Redis is away for long: Directus's Redis client dropped commands nobody awaited; the process goes on");
	});
}
