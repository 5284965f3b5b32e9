import type { z } from 'zod';
import { FieldNotAllowedError, InvalidPayloadError } from '../errors/index.js';
import { Id, ID_EXPECTED } from './schemas.js';

/**
 * Parses a payload with its schema. Fields the caller may not write answer 403 FIELD_NOT_ALLOWED with their
 * names; malformed values answer 400 INVALID_PAYLOAD with the first problem.
 */
export function parseInput<T extends z.ZodTypeAny>(schema: T, payload: unknown): z.infer<T> {
	if (!payload || typeof payload !== 'object' || Array.isArray(payload))
		throw new InvalidPayloadError({ reason: 'Expected a JSON object' });
	const result = schema.safeParse(payload);
	if (result.success) return result.data;
	const unknownKeys = result.error.issues.flatMap((issue) => (issue.code === 'unrecognized_keys' ? issue.keys : []));
	if (unknownKeys.length > 0) throw new FieldNotAllowedError({ fields: unknownKeys });
	const issue = result.error.issues[0]!;
	throw new InvalidPayloadError({ reason: `${issue.path.join('.') || 'payload'}: ${issue.message}` });
}

/** Drops `field` when it names the caller (clients may send it); any other value is not theirs to set. */
export function withoutSelfReference(payload: Record<string, unknown>, field: string, userId: string): Record<string, unknown> {
	if (!(field in payload)) return payload;
	if (payload[field] !== userId) throw new FieldNotAllowedError({ fields: [field] });
	const { [field]: _self, ...rest } = payload;
	return rest;
}

/** An id from a URL or a payload (schemas.ts `Id`), or 400 INVALID_PAYLOAD. */
export function parseId(value: unknown, name = 'id'): number {
	const result = Id.safeParse(value);
	if (!result.success) throw new InvalidPayloadError({ reason: `${name}: ${ID_EXPECTED}` });
	return result.data;
}
