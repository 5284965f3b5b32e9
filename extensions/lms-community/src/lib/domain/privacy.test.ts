import { describe, expect, it } from 'vitest';
import {
	assetIdsIn,
	csvCell,
	csvRow,
	formerMemberLabel,
	mentionedIds,
	mentions,
	pickPseudonym,
	retentionCutoff,
	scrubMentions,
	shortenedToken,
} from './privacy.js';

const alice = '9b1c2d3e-0000-4000-8000-00000000000a';
const bob = '9b1c2d3e-0000-4000-8000-00000000000b';
const DAY = 86_400_000;

describe('pseudonyms', () => {
	it('are "Former member #NNNN", never one already taken, with more digits once four run out', () => {
		expect(formerMemberLabel(1234)).toBe('Former member #1234');
		const sequence = [0.0001, 0.5];
		let next = 0;
		const random = () => sequence[next++ % sequence.length]!;
		expect(pickPseudonym(random, new Set())).toBe('Former member #1000');
		expect(pickPseudonym(() => 0, new Set(['Former member #1000']))).toBe('Former member #10000');
		expect(pickPseudonym(() => 0.9999, new Set())).toBe('Former member #9999');
	});
});

describe('mentions and attachments', () => {
	it('scrubs every mention of one person, in any letter case, and leaves others', () => {
		const text = `thanks <@${alice}> and <@${alice.toUpperCase()}>, cc <@${bob}>`;
		expect(scrubMentions(text, alice, 'Former member #1234')).toBe(`thanks @Former member #1234 and @Former member #1234, cc <@${bob}>`);
		expect(mentions(text, alice)).toBe(true);
		expect(mentions('no one here', alice)).toBe(false);
		expect(mentions(null, alice)).toBe(false);
	});

	it('finds every mentioned id, without the notification cap', () => {
		const many = Array.from({ length: 25 }, (_, i) => `<@9b1c2d3e-0000-4000-8000-${String(i).padStart(12, '0')}>`).join(' ');
		expect(mentionedIds(many)).toHaveLength(25);
		expect(mentionedIds(`<@${alice.toUpperCase()}> <@${alice}> <@not-a-uuid>`)).toEqual([alice]);
	});

	it('finds the files a body links to', () => {
		const file = '0f3e2a1b-1111-4222-8333-444455556666';
		expect(assetIdsIn(`![diagram](/assets/${file}?width=200) and [pdf](https://lms.example.com/assets/${file.toUpperCase()})`)).toEqual([
			file,
		]);
		expect(assetIdsIn('no files')).toEqual([]);
	});
});

describe('retentionCutoff', () => {
	const endsAt = Date.parse('2026-06-30T00:00:00Z');

	it('keeps everything without both settings', () => {
		expect(retentionCutoff({ endsAt: null, days: 30 }, endsAt + 400 * DAY)).toBeNull();
		expect(retentionCutoff({ endsAt, days: null }, endsAt + 400 * DAY)).toBeNull();
	});

	it('waits the full N days after the end, then takes chat older than N days', () => {
		expect(retentionCutoff({ endsAt, days: 30 }, endsAt + 29 * DAY)).toBeNull();
		expect(retentionCutoff({ endsAt, days: 30 }, endsAt + 30 * DAY)).toBe(endsAt);
		expect(retentionCutoff({ endsAt, days: 30 }, endsAt + 45 * DAY)).toBe(endsAt + 15 * DAY);
	});

	it('with 0 days, takes everything up to now once the course has ended', () => {
		expect(retentionCutoff({ endsAt, days: 0 }, endsAt - 1)).toBeNull();
		expect(retentionCutoff({ endsAt, days: 0 }, endsAt + 5)).toBe(endsAt + 5);
	});
});

describe('CSV', () => {
	it('quotes what needs quoting, writes JSON for objects and defuses formulas', () => {
		expect(csvRow([1, 'plain', null, true])).toBe('1,plain,,true\r\n');
		expect(csvCell('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
		expect(csvCell({ '👍': 2 })).toBe('"{""👍"":2}"');
		expect(csvCell('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
		expect(csvCell('-1')).toBe("'-1");
		expect(csvCell(-1)).toBe('-1');
		expect(csvCell(new Date('2026-01-02T03:04:05Z'))).toBe('2026-01-02T03:04:05.000Z');
	});
});

describe('push tokens in an export', () => {
	it('keep a tail to tell devices apart (and a Web Push service), never the whole address', () => {
		const fcm = `dQw4w9WgXcQ:APA91b${'x'.repeat(140)}Zk3fT9qa`;
		expect(shortenedToken(fcm)).toBe('…Zk3fT9qa');
		expect(shortenedToken('https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk7fQ2abcdEFGH')).toBe(
			'https://updates.push.services.mozilla.com/…abcdEFGH',
		);
		// A short token still keeps most of itself back.
		expect(shortenedToken('abcdefgh')).toBe('…gh');
		expect(shortenedToken('https://bad host/x'.padEnd(40, 'y'))).toBe('…yyyyyyyy');
	});
});
