import { ZodError } from 'zod';
import { isDirectusError } from '../errors/index.js';
import { serviceUnavailable, unavailableService } from '../errors/unavailable.js';
import { SocketAuthError } from './auth.js';
import type { Ack, AckCallback } from './events.js';

export interface ErrorLogger {
	error(error: unknown, message?: string): void;
}

/**
 * The one funnel for socket failures: Directus errors (the bundle's codes included) and zod errors become
 * a client payload; an outage of the database or Redis becomes the retryable SERVICE_UNAVAILABLE; anything else
 * is logged and answered with INTERNAL, never crashing the process.
 */
export function toAckError(error: unknown, logger: ErrorLogger): Extract<Ack, { ok: false }> {
	if (error instanceof SocketAuthError) return { ok: false, error: { code: error.code, message: error.message } };
	// Not logged per request: an outage fails every request at once (the access re-check logs it each round).
	const service = unavailableService(error);
	if (service) return toAckError(serviceUnavailable(service), logger);
	if (isDirectusError(error)) {
		const extensions = (error as { extensions?: Record<string, unknown> }).extensions ?? {};
		const retryAfter = typeof extensions['retry_after'] === 'number' ? (extensions['retry_after'] as number) : undefined;
		return { ok: false, error: { code: error.code, message: error.message, ...(retryAfter ? { retry_after: retryAfter } : {}) } };
	}
	if (error instanceof ZodError) {
		const issue = error.issues[0];
		const code = issue?.code === 'unrecognized_keys' ? 'FIELD_NOT_ALLOWED' : 'INVALID_PAYLOAD';
		return { ok: false, error: { code, message: issue ? `${issue.path.join('.') || 'payload'}: ${issue.message}` : 'Invalid payload' } };
	}
	logger.error(error, 'community socket: unexpected error');
	return { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong on the server.' } };
}

/** Runs an event handler and always acknowledges it once, if the client asked for an ack. */
export function acknowledged<T>(logger: ErrorLogger, ack: unknown, work: () => Promise<T>): void {
	const reply: AckCallback<T> = typeof ack === 'function' ? (ack as AckCallback<T>) : () => undefined;
	work().then(
		(data) => reply({ ok: true, data }),
		(error) => reply(toAckError(error, logger) as Ack<T>),
	);
}
