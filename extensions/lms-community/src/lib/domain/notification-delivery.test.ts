import { describe, expect, it } from 'vitest';
import {
	afterQuietHours,
	emailDueAt,
	inQuietHours,
	outboxCutoff,
	parseRetryAfter,
	pushDueAt,
	retryDelaySeconds,
} from './delivery-timing.js';
import {
	BUILT_IN_SETTINGS,
	effectiveSettings,
	kindOf,
	NotificationSettingsInput,
	storedSettings,
	wantsChannel,
	type NotificationSettings,
} from './notification-settings.js';
import { appPath, DEFAULT_WEB_PUSH_HOSTS, describeNotification, excerpt, topicOf, webPushEndpointAllowed } from './push-message.js';

const at = (iso: string) => new Date(iso);
const settings = (overrides: Partial<NotificationSettings> = {}): NotificationSettings => ({ ...BUILT_IN_SETTINGS, ...overrides });

describe('notification settings', () => {
	it('maps every notification type to a kind', () => {
		expect(kindOf('mention')).toBe('mentions');
		expect(kindOf('message_mention')).toBe('mentions');
		expect(kindOf('post_reply')).toBe('replies');
		expect(kindOf('post_reaction')).toBe('reactions');
		expect(kindOf('post_rejected')).toBe('moderation');
		expect(kindOf('something_new')).toBe('moderation');
	});

	it('layers built-in defaults, course defaults and the member’s own choices, key by key', () => {
		const merged = effectiveSettings(
			{ email: { cadence: 'daily' }, quiet_hours: { start: '22:00', end: '07:00' } },
			{ email: { kinds: ['mentions'] }, quiet_hours: null, timezone: 'Europe/Berlin' },
		);
		expect(merged).toEqual({
			email: { enabled: true, kinds: ['mentions'], cadence: 'daily' },
			push: BUILT_IN_SETTINGS.push,
			quiet_hours: null,
			timezone: 'Europe/Berlin',
			digest_hour: 8,
		});
	});

	it('decides per channel and kind', () => {
		const s = effectiveSettings({}, { push: { enabled: false } });
		expect(wantsChannel(s, 'email', 'post_reply')).toBe(true);
		expect(wantsChannel(s, 'email', 'post_reaction')).toBe(false);
		expect(wantsChannel(s, 'push', 'mention')).toBe(false);
	});

	it('refuses unknown keys, bad times and unknown time zones; ignores stored JSON that no longer parses', () => {
		expect(NotificationSettingsInput.safeParse({ email: { cadence: 'weekly' } }).success).toBe(false);
		expect(NotificationSettingsInput.safeParse({ quiet_hours: { start: '25:00', end: '07:00' } }).success).toBe(false);
		expect(NotificationSettingsInput.safeParse({ quiet_hours: { start: '07:00', end: '07:00' } }).success).toBe(false);
		expect(NotificationSettingsInput.safeParse({ timezone: 'Mars/Olympus' }).success).toBe(false);
		expect(NotificationSettingsInput.safeParse({ sms: true }).success).toBe(false);
		expect(NotificationSettingsInput.safeParse({ push: { kinds: ['mentions'] }, timezone: 'America/New_York' }).success).toBe(true);
		expect(storedSettings('{"email":{"cadence":"weekly"}}')).toEqual({});
		expect(storedSettings('{"digest_hour":6}')).toEqual({ digest_hour: 6 });
		expect(storedSettings(null)).toEqual({});
	});
});

describe('quiet hours', () => {
	const night = { quiet_hours: { start: '22:00', end: '07:00' }, timezone: 'Europe/Berlin' };

	it('runs past midnight in the member’s time zone', () => {
		// 21:30 UTC is 22:30 in Berlin in winter.
		expect(inQuietHours(at('2026-01-10T21:30:00Z'), night.quiet_hours, night.timezone)).toBe(true);
		expect(inQuietHours(at('2026-01-10T20:30:00Z'), night.quiet_hours, night.timezone)).toBe(false);
		expect(inQuietHours(at('2026-01-11T05:59:00Z'), night.quiet_hours, night.timezone)).toBe(true);
		expect(inQuietHours(at('2026-01-11T06:00:00Z'), night.quiet_hours, night.timezone)).toBe(false);
		expect(inQuietHours(at('2026-01-11T03:00:00Z'), null, 'UTC')).toBe(false);
	});

	it('moves a push to the end of the quiet hours, and leaves other moments alone', () => {
		expect(afterQuietHours(at('2026-01-10T23:10:20Z'), night).toISOString()).toBe('2026-01-11T06:00:00.000Z');
		expect(pushDueAt(at('2026-01-10T12:00:00Z'), settings(night)).toISOString()).toBe('2026-01-10T12:00:00.000Z');
		// Summer time: 07:00 in Berlin is 05:00 UTC.
		expect(pushDueAt(at('2026-07-10T01:00:00Z'), settings(night)).toISOString()).toBe('2026-07-10T05:00:00.000Z');
	});

	it('handles a window inside one day', () => {
		const lunch = { start: '12:00', end: '13:30' };
		expect(inQuietHours(at('2026-01-10T12:45:00Z'), lunch, 'UTC')).toBe(true);
		expect(inQuietHours(at('2026-01-10T13:30:00Z'), lunch, 'UTC')).toBe(false);
	});
});

describe('e-mail windows', () => {
	const created = at('2026-03-02T10:17:00Z');

	it('sends after the delay, at the next full hour, or at the digest hour', () => {
		expect(emailDueAt(created, settings(), 900).toISOString()).toBe('2026-03-02T10:32:00.000Z');
		const hourly = settings({ email: { ...BUILT_IN_SETTINGS.email, cadence: 'hourly' } });
		expect(emailDueAt(created, hourly, 900).toISOString()).toBe('2026-03-02T11:00:00.000Z');
		const daily = settings({ email: { ...BUILT_IN_SETTINGS.email, cadence: 'daily' }, digest_hour: 8, timezone: 'America/New_York' });
		// 08:00 in New York (UTC-5 in early March) is 13:00 UTC; 10:32 UTC is before it.
		expect(emailDueAt(created, daily, 900).toISOString()).toBe('2026-03-02T13:00:00.000Z');
		expect(emailDueAt(at('2026-03-02T13:30:00Z'), daily, 0).toISOString()).toBe('2026-03-03T13:00:00.000Z');
	});

	it('waits for the end of quiet hours', () => {
		const quiet = settings({ quiet_hours: { start: '10:00', end: '12:00' } });
		expect(emailDueAt(created, quiet, 900).toISOString()).toBe('2026-03-02T12:00:00.000Z');
	});
});

describe('retries', () => {
	const backoff = { baseSeconds: 30, maxSeconds: 3600 };

	it('doubles up to the cap and honours Retry-After', () => {
		expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, backoff))).toEqual([30, 60, 120, 240]);
		expect(retryDelaySeconds(20, backoff)).toBe(3600);
		expect(retryDelaySeconds(1, backoff, 120)).toBe(120);
		expect(retryDelaySeconds(3, backoff, 5)).toBe(120);
	});

	it('reads Retry-After as seconds or as an HTTP date', () => {
		const now = at('2026-03-02T10:00:00Z');
		expect(parseRetryAfter('17', now)).toBe(17);
		expect(parseRetryAfter('Mon, 02 Mar 2026 10:01:00 GMT', now)).toBe(60);
		expect(parseRetryAfter('soon', now)).toBeNull();
		expect(parseRetryAfter(null, now)).toBeNull();
	});
});

describe('outbox cleanup', () => {
	it('removes rows finished more than the kept days ago; 0 keeps them for ever', () => {
		const now = at('2026-03-31T10:00:00Z');
		expect(new Date(outboxCutoff(now, 30)!).toISOString()).toBe('2026-03-01T10:00:00.000Z');
		expect(new Date(outboxCutoff(now, 0.5)!).toISOString()).toBe('2026-03-30T22:00:00.000Z');
		expect(outboxCutoff(now, 0)).toBeNull();
	});
});

describe('what a push says', () => {
	it('says who did what where, never the content', () => {
		expect(describeNotification('post_reply', 'Ada', 'Algebra I')).toBe('Ada replied in Algebra I');
		expect(describeNotification('mention', null, 'Algebra I')).toBe('Someone mentioned you in Algebra I');
		expect(describeNotification('new_kind', 'Ada', 'Algebra I')).toBe('New activity in Algebra I');
	});

	it('links into the app', () => {
		expect(appPath({ group: 3, post: 9, message: null })).toBe('/groups/3/posts/9');
		expect(appPath({ group: 3, post: null, message: '12' })).toBe('/groups/3/chat/12');
		expect(appPath({ group: 3, post: null, message: null })).toBe('/groups/3');
	});

	it('shortens previews to plain text at a word', () => {
		expect(excerpt('**Hello** _world_')).toBe('Hello world');
		expect(excerpt('one two three four five six', 12)).toBe('one two…');
	});

	it('calls only allowed Web Push endpoints', () => {
		expect(webPushEndpointAllowed('https://fcm.googleapis.com/fcm/send/abc', DEFAULT_WEB_PUSH_HOSTS)).toBe(true);
		expect(webPushEndpointAllowed('https://x.notify.windows.com/w/?token=1', DEFAULT_WEB_PUSH_HOSTS)).toBe(true);
		expect(webPushEndpointAllowed('http://fcm.googleapis.com/fcm/send/abc', DEFAULT_WEB_PUSH_HOSTS)).toBe(false);
		expect(webPushEndpointAllowed('https://169.254.169.254/latest', DEFAULT_WEB_PUSH_HOSTS)).toBe(false);
		expect(webPushEndpointAllowed('https://evilfcm.googleapis.com.example/x', DEFAULT_WEB_PUSH_HOSTS)).toBe(false);
		expect(webPushEndpointAllowed('http://127.0.0.1:9000/push/1', ['http://127.0.0.1:9000'])).toBe(true);
		expect(webPushEndpointAllowed('http://127.0.0.1:9001/push/1', ['http://127.0.0.1:9000'])).toBe(false);
		expect(webPushEndpointAllowed('not a url', DEFAULT_WEB_PUSH_HOSTS)).toBe(false);
	});
});

describe('push targets a member cannot redirect', () => {
	it('a host-only allow-list entry admits that host on the default HTTPS port only', () => {
		expect(webPushEndpointAllowed('https://fcm.googleapis.com/fcm/send/abc', ['fcm.googleapis.com'])).toBe(true);
		expect(webPushEndpointAllowed('https://fcm.googleapis.com:22/fcm/send/abc', ['fcm.googleapis.com'])).toBe(false);
		expect(webPushEndpointAllowed('https://fcm.googleapis.com:8443/x', ['fcm.googleapis.com'])).toBe(false);
	});

	it("an APNs topic is the device's app id only when the school lists it", () => {
		expect(topicOf('org.example.lms', ['org.example.lms', 'org.example.beta'])).toBe('org.example.lms');
		expect(topicOf('com.attacker.app', ['org.example.lms'])).toBe('org.example.lms');
		expect(topicOf(null, ['org.example.lms'])).toBe('org.example.lms');
		expect(topicOf('org.example.lms', [])).toBeNull();
	});
});
