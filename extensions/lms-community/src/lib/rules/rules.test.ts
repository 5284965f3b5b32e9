import { describe, expect, it } from 'vitest';
import { originAllowed } from '../realtime/server.js';
import { slowModeWait } from './message-send.js';
import { deliverable, type NotificationDraft } from './notifications.js';

describe('slowModeWait', () => {
	it('answers the whole seconds still to wait', () => {
		expect(slowModeWait(null, 30, 1_000)).toBe(0);
		expect(slowModeWait(1_000, 0, 1_500)).toBe(0);
		expect(slowModeWait(1_000, 30, 1_500)).toBe(30);
		expect(slowModeWait(1_000, 30, 30_500)).toBe(1);
		expect(slowModeWait(1_000, 30, 31_000)).toBe(0);
	});
});

describe('deliverable', () => {
	const draft = (recipient: string, type: NotificationDraft['type'], actor = 'actor'): NotificationDraft => ({
		recipient,
		actor,
		group: 1,
		type,
		post: 7,
	});
	it('never to the actor or non-members, as preferences say, once per recipient, type and subject', () => {
		const preferences: Record<string, 'all' | 'mentions' | 'none'> = { all: 'all', mentions: 'mentions', none: 'none', actor: 'all' };
		const drafts = [
			draft('all', 'post_reply'),
			draft('all', 'post_reply'),
			draft('mentions', 'post_reply'),
			draft('mentions', 'mention'),
			draft('mentions', 'post_approved'),
			draft('none', 'mention'),
			draft('outsider', 'mention'),
			draft('actor', 'mention'),
		];
		expect(deliverable(drafts, (d) => preferences[d.recipient])).toEqual([
			draft('all', 'post_reply'),
			draft('mentions', 'mention'),
			draft('mentions', 'post_approved'),
		]);
	});
});

describe('originAllowed', () => {
	it('lets native clients (no Origin) in, and browsers only from the list', () => {
		expect(originAllowed(undefined, ['https://app.example.com'])).toBe(true);
		expect(originAllowed('https://app.example.com', ['https://app.example.com'])).toBe(true);
		expect(originAllowed('https://evil.example.com', ['https://app.example.com'])).toBe(false);
		expect(originAllowed('https://evil.example.com', '*')).toBe(true);
	});
});
