import type { NextFunction, Request, Response } from 'express';
import { isStalePlan } from '../db/prepared.js';
import { ServiceUnavailableError, type UnavailableService as Service } from './index.js';

/** What a client is told to wait before retrying (a restart or failover takes seconds). */
export const RETRY_AFTER_S = 2;

/** Node's socket errors and PostgreSQL's connection-exception states (class 08, shutdown, too many connections). */
const CONNECTION_CODES = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'ETIMEDOUT',
	'EPIPE',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'EAI_AGAIN',
	'57P01',
	'57P02',
	'57P03',
	'53300',
]);
/**
 * PostgreSQL's deadlock and serialization failures: the transaction was rolled back whole and may simply be sent
 * again. Chat writes lock in one order (community/change-locks.ts), so these are not expected; if one happens the
 * client is told to retry, never given a 500.
 */
const TRANSIENT_CODES = new Set(['40P01', '40001']);
/** What pg and knex say when a connection dies mid-query or none can be had from the pool. */
const CONNECTION_MESSAGES = [
	'Connection terminated',
	'Knex: Timeout acquiring a connection',
	'Client has encountered a connection error and is not queryable',
	'Client was closed and is not queryable',
];

/**
 * Which service a failure says cannot be reached right now, if any, as opposed to a query it refused. The database:
 * knex prefixes the SQL to a driver's message and Node wraps connection attempts (AggregateError, `cause`). Redis:
 * Directus's own client (ioredis) gives up on queued commands after a long outage (its permission cache, for one,
 * is read through it); the bundle's own Redis clients fall back instead of failing a request.
 */
export function unavailableService(error: unknown, depth = 0): Service | null {
	if (!error || typeof error !== 'object' || depth > 3) return null;
	const { code, name, message, cause, errors } = error as {
		code?: unknown;
		name?: unknown;
		message?: unknown;
		cause?: unknown;
		errors?: unknown;
	};
	if (name === 'MaxRetriesPerRequestError') return 'redis';
	if (typeof code === 'string' && (CONNECTION_CODES.has(code) || TRANSIENT_CODES.has(code) || code.startsWith('08'))) return 'database';
	// A prepared plan from before a field change fails once inside a transaction (REST creates check their rules in
	// Directus's, db/prepared.ts): rolled back whole too, and the next try plans it anew.
	if (isStalePlan(error)) return 'database';
	if (name === 'KnexTimeoutError') return 'database';
	if (typeof message === 'string' && CONNECTION_MESSAGES.some((text) => message.includes(text))) return 'database';
	for (const inner of Array.isArray(errors) ? errors : []) {
		const service = unavailableService(inner, depth + 1);
		if (service) return service;
	}
	return unavailableService(cause, depth + 1);
}

/** The retryable answer for work that failed because a service is away: the client sends it again as it was. */
export function serviceUnavailable(service: Service): InstanceType<typeof ServiceUnavailableError> {
	return new ServiceUnavailableError({ service, retry_after: RETRY_AFTER_S });
}

/**
 * Express error middleware ahead of Directus's own handler: an outage on any route is a 503 SERVICE_UNAVAILABLE
 * with `retry_after` (and Retry-After), not a 500, so clients know to send again.
 */
export function answerUnavailable(error: unknown, _req: Request, res: Response, next: NextFunction): void {
	const service = unavailableService(error);
	if (!service) return next(error);
	res.setHeader('Retry-After', String(RETRY_AFTER_S));
	next(serviceUnavailable(service));
}
