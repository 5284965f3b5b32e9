import { createError, ErrorCode } from '@directus/errors';

/**
 * The bundle's own error codes. Directus's error classes are re-exported from here so that
 * every module takes its errors from one place.
 */
export { ForbiddenError, InvalidPayloadError, InvalidQueryError, isDirectusError } from '@directus/errors';
export { ErrorCode };

export const QueryNotAllowedError = createError<{ reason: string }>(
	'QUERY_NOT_ALLOWED',
	({ reason }) => `This query is not allowed: ${reason}.`,
	403,
);
