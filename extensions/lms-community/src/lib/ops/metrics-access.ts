import { timingSafeEqual } from 'node:crypto';
/**
 * Who may scrape `/community/metrics`: the rule of Directus's own `/metrics` (controllers/metrics.ts), so one
 * scrape config serves both: an admin's token, or `Authorization: Metrics <token>` with a token from
 * METRICS_TOKENS. Without METRICS_ENABLED neither endpoint exists.
 */
export type MetricsAccess = 'allowed' | 'disabled' | 'forbidden';

export interface MetricsRequest {
	enabled: unknown;
	tokens: unknown;
	admin: boolean;
	authorization: string | undefined;
}

/** Directus casts METRICS_TOKENS to an array; a value set in code or tests may still be a comma-separated string. */
const tokenList = (tokens: unknown): string[] =>
	(Array.isArray(tokens) ? tokens : typeof tokens === 'string' || typeof tokens === 'number' ? String(tokens).split(',') : [])
		.map((token) => String(token).trim())
		.filter((token) => token.length > 0);

export function metricsAccess({ enabled, tokens, admin, authorization }: MetricsRequest): MetricsAccess {
	if (enabled !== true && String(enabled) !== 'true') return 'disabled';
	if (admin) return 'allowed';
	const parts = (authorization ?? '').split(' ');
	if (parts.length !== 2 || parts[0]!.toLowerCase() !== 'metrics') return 'forbidden';
	const presented = Buffer.from(parts[1]!);
	// Constant-time comparison: the answer must not tell how much of a token was right.
	const matches = tokenList(tokens).some((token) => {
		const expected = Buffer.from(token);
		return expected.length === presented.length && timingSafeEqual(expected, presented);
	});
	return matches ? 'allowed' : 'forbidden';
}
