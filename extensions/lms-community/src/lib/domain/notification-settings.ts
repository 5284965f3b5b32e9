import { z } from 'zod';

/**
 * A member's notification settings for e-mail and push, as pure rules: what the built-in defaults are, how a
 * course's defaults (set by its instructors) and the member's own choices combine, and which kind of activity
 * a notification type is. The per-group `notify` preference decides what is created at all; these decide only
 * what leaves the server.
 */

export const KINDS = ['mentions', 'replies', 'reactions', 'moderation'] as const;
export type Kind = (typeof KINDS)[number];
export const CHANNELS = ['email', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];
/** `delay`: one e-mail as soon as the delay has passed; `hourly` and `daily`: digests. */
export const CADENCES = ['delay', 'hourly', 'daily'] as const;
export type Cadence = (typeof CADENCES)[number];

const KIND_OF_TYPE: Record<string, Kind> = {
	mention: 'mentions',
	message_mention: 'mentions',
	message_reply: 'replies',
	post_reply: 'replies',
	post_reaction: 'reactions',
	post_pending: 'moderation',
	post_approved: 'moderation',
	post_rejected: 'moderation',
	report_new: 'moderation',
	report_resolved: 'moderation',
};

/** The kind a notification type belongs to; types added later count as moderation until they are named here. */
export function kindOf(type: string): Kind {
	return KIND_OF_TYPE[type] ?? 'moderation';
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const isTimeZone = (zone: string) => {
	try {
		new Intl.DateTimeFormat('en-GB', { timeZone: zone });
		return true;
	} catch {
		return false;
	}
};

const ChannelSettings = z.object({ enabled: z.boolean(), kinds: z.array(z.enum(KINDS)).max(KINDS.length) }).strict();
export const QuietHours = z
	.object({ start: z.string().regex(TIME, 'expected HH:MM'), end: z.string().regex(TIME, 'expected HH:MM') })
	.strict()
	.refine((hours) => hours.start !== hours.end, 'start and end must differ');
export type QuietHours = z.infer<typeof QuietHours>;

/** What a member (or a course, as defaults) may set; every key optional, unknown keys refused. */
export const NotificationSettingsInput = z
	.object({
		email: ChannelSettings.extend({ cadence: z.enum(CADENCES) })
			.partial()
			.strict(),
		push: ChannelSettings.partial().strict(),
		quiet_hours: QuietHours.nullable(),
		timezone: z.string().max(64).refine(isTimeZone, 'expected an IANA time zone such as Europe/Berlin'),
		digest_hour: z.number().int().min(0).max(23),
	})
	.partial()
	.strict();
export type NotificationSettingsInput = z.infer<typeof NotificationSettingsInput>;

export interface NotificationSettings {
	email: { enabled: boolean; kinds: Kind[]; cadence: Cadence };
	push: { enabled: boolean; kinds: Kind[] };
	quiet_hours: QuietHours | null;
	timezone: string;
	/** The local hour a daily digest goes out. */
	digest_hour: number;
}

/** Reactions are pushed but not e-mailed: a missed-activity e-mail is for what asks for an answer. */
export const BUILT_IN_SETTINGS: NotificationSettings = {
	email: { enabled: true, kinds: ['mentions', 'replies', 'moderation'], cadence: 'delay' },
	push: { enabled: true, kinds: ['mentions', 'replies', 'reactions', 'moderation'] },
	quiet_hours: null,
	timezone: 'UTC',
	digest_hour: 8,
};

/** Settings stored as JSON may predate a schema change: anything that no longer parses counts as unset. */
export function storedSettings(value: unknown): NotificationSettingsInput {
	const parsed = NotificationSettingsInput.safeParse(typeof value === 'string' ? safeJson(value) : value);
	return parsed.success ? parsed.data : {};
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return null;
	}
}

/** Layers partial settings over a base, channel by channel: later layers win key by key. */
export function mergeSettings(base: NotificationSettings, ...layers: NotificationSettingsInput[]): NotificationSettings {
	return layers.reduce<NotificationSettings>(
		(settings, layer) => ({
			email: { ...settings.email, ...layer.email },
			push: { ...settings.push, ...layer.push },
			quiet_hours: layer.quiet_hours === undefined ? settings.quiet_hours : layer.quiet_hours,
			timezone: layer.timezone ?? settings.timezone,
			digest_hour: layer.digest_hour ?? settings.digest_hour,
		}),
		base,
	);
}

/** A member's settings in one group: built-in defaults, then the course's defaults, then their own choices. */
export function effectiveSettings(courseDefaults: NotificationSettingsInput, own: NotificationSettingsInput): NotificationSettings {
	return mergeSettings(BUILT_IN_SETTINGS, courseDefaults, own);
}

export function wantsChannel(settings: NotificationSettings, channel: Channel, type: string): boolean {
	const choice = settings[channel];
	return choice.enabled && choice.kinds.includes(kindOf(type));
}
