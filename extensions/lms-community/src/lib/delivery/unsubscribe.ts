import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * One-click unsubscribe links (RFC 8058): the link names the member and carries an HMAC of their id made with
 * Directus's SECRET, so a POST to it unsubscribes without a login and nobody can forge one for someone else.
 */

const signature = (secret: string, userId: string) =>
	createHmac('sha256', secret).update(`community-email-unsubscribe:${userId}`).digest('base64url');

export function unsubscribeUrl(publicUrl: string, secret: string, userId: string): string {
	return `${publicUrl}/community/email/unsubscribe?u=${encodeURIComponent(userId)}&s=${signature(secret, userId)}`;
}

export function validUnsubscribe(secret: string, userId: unknown, given: unknown): userId is string {
	if (typeof userId !== 'string' || typeof given !== 'string' || !secret) return false;
	const expected = Buffer.from(signature(secret, userId));
	const actual = Buffer.from(given);
	return expected.length === actual.length && timingSafeEqual(expected, actual);
}
