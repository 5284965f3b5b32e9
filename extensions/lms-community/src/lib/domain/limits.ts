/** Input limits. Documented in docs/rest-api.md; the socket uses the same ones. */
export const LIMITS = {
	postTitle: 200,
	groupName: 200,
	postBody: 20_000,
	messageBody: 4_000,
	moderationNote: 2_000,
	clientId: 64,
	mentionsPerText: 20,
} as const;

/** Reactions members may use on posts. */
export const ALLOWED_REACTIONS = ['👍', '❤️', '🎉', '😂', '😮', '😢', '🙏', '👀', '✅', '❓'] as const;
export type Reaction = (typeof ALLOWED_REACTIONS)[number];

export function isAllowedReaction(value: unknown): value is Reaction {
	return typeof value === 'string' && (ALLOWED_REACTIONS as readonly string[]).includes(value);
}
