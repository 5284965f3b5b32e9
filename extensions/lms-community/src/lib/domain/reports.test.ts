import { describe, expect, it } from 'vitest';
import { messageUpdateAfter, outcomeOf, postStatusAfter, reachesHideThreshold } from './reports.js';

describe('report outcomes', () => {
	it('dismisses reports on kept items and resolves them otherwise', () => {
		expect(outcomeOf('keep', null)).toEqual({ status: 'dismissed', resolution: 'kept', author_action: 'none', memberStatus: null });
		expect(outcomeOf('hide', 'mute')).toEqual({ status: 'resolved', resolution: 'hidden', author_action: 'muted', memberStatus: 'muted' });
		expect(outcomeOf('delete', 'ban')).toMatchObject({ status: 'resolved', resolution: 'deleted', memberStatus: 'banned' });
	});

	it('hides at the threshold, never with a threshold of 0', () => {
		expect(reachesHideThreshold(2, 3)).toBe(false);
		expect(reachesHideThreshold(3, 3)).toBe(true);
		expect(reachesHideThreshold(50, 0)).toBe(false);
	});

	it('moves posts between published and hidden, and never back from deleted', () => {
		expect(postStatusAfter('published', 'hide')).toBe('hidden');
		expect(postStatusAfter('hidden', 'keep')).toBe('published');
		expect(postStatusAfter('published', 'keep')).toBe('published');
		expect(postStatusAfter('hidden', 'delete')).toBe('deleted');
		expect(postStatusAfter('deleted', 'keep')).toBe('deleted');
	});
});

describe('message changes', () => {
	const now = '2026-11-26T00:00:00.000Z';
	it('deletes, hides once, unhides when kept, and leaves deleted messages alone', () => {
		expect(messageUpdateAfter({ deleted_at: null, hidden_at: null }, 'delete', now)).toEqual({ deleted_at: now, hidden_at: null });
		expect(messageUpdateAfter({ deleted_at: null, hidden_at: null }, 'hide', now)).toEqual({ hidden_at: now });
		expect(messageUpdateAfter({ deleted_at: null, hidden_at: now }, 'hide', now)).toBeNull();
		expect(messageUpdateAfter({ deleted_at: null, hidden_at: now }, 'keep', now)).toEqual({ hidden_at: null });
		expect(messageUpdateAfter({ deleted_at: null, hidden_at: null }, 'keep', now)).toBeNull();
		expect(messageUpdateAfter({ deleted_at: now, hidden_at: null }, 'delete', now)).toBeNull();
	});
});
