import { describe, expect, it } from 'vitest';
import { checkBody, checkPlainText, extractMentions, neutraliseMarkdown } from './text.js';

describe('neutraliseMarkdown', () => {
	it('turns HTML into visible text: no `<` opens a tag any more', () => {
		expect(neutraliseMarkdown('<script>alert(1)</script>hi')).toBe('&lt;script>alert(1)&lt;/script>hi');
		expect(neutraliseMarkdown('<img src=x onerror="alert(1)">')).toBe('&lt;img />');
		expect(neutraliseMarkdown('<a href="javascript:alert(1)">x</a>')).not.toContain('<');
	});

	it('defuses script-capable link and image destinations, keeping ordinary ones', () => {
		expect(neutraliseMarkdown('[click](javascript:alert(1))')).toBe('[click](unsafe-javascript:alert(1))');
		expect(neutraliseMarkdown('![x]( JavaScript:alert(1))')).toBe('![x]( unsafe-JavaScript:alert(1))');
		expect(neutraliseMarkdown('[x]: data:text/html;base64,AAA')).toBe('[x]: unsafe-data:text/html;base64,AAA');
		expect(neutraliseMarkdown('[docs](https://example.com/a?b=1&c=2)')).toBe('[docs](https://example.com/a?b=1&c=2)');
	});

	it('also defuses definitions inside quotes and lists, escaped colons, and destinations on the next line', () => {
		expect(neutraliseMarkdown('> [x]: javascript:alert(1)')).toBe('> [x]: unsafe-javascript:alert(1)');
		expect(neutraliseMarkdown('- [x]:\n  vbscript:msgbox')).toBe('- [x]:\n  unsafe-vbscript:msgbox');
		expect(neutraliseMarkdown('[x](javascript\\:alert(1))')).toBe('[x](unsafe-javascript\\:alert(1))');
		expect(neutraliseMarkdown('[x](\nfile:///etc/passwd)')).toBe('[x](\nunsafe-file:///etc/passwd)');
	});

	it('decodes what the author encoded before defusing it, and never turns escaped text into a live entity', () => {
		// The author's own entity is decoded first, so the scheme shows and is defused.
		expect(neutraliseMarkdown('[x](javascript&#x3a;alert(1))')).toBe('[x](unsafe-javascript:alert(1))');
		expect(neutraliseMarkdown('[x](javascript&colon;alert(1))')).toBe('[x](unsafe-javascript:alert(1))');
		// Text that reads "&#x3a;" stays text: restoring `&amp;` there would make a renderer decode it to ":".
		expect(neutraliseMarkdown('[x](javascript&amp;#x3a;alert(1))')).toBe('[x](javascript&amp;#x3a;alert(1))');
		for (const reference of ['#58;', '#58', '#X3A;', 'colon;', 'NewLine;', 'frac12;'])
			expect(neutraliseMarkdown(`a&amp;${reference}b`)).toBe(`a&amp;${reference}b`);
		// An `&` that starts no reference is markdown's plain ampersand again; one shaped like a reference stays escaped.
		expect(neutraliseMarkdown('AT&T, a &amp; b, &amp;nbsp, R&D;')).toBe('AT&T, a & b, &nbsp, R&amp;D;');
	});

	it('keeps mentions as written', () => {
		expect(neutraliseMarkdown('hi <@0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a01>!')).toBe('hi <@0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a01>!');
		expect(neutraliseMarkdown('<@not-a-mention>')).toBe('&lt;@not-a-mention>');
	});

	it('keeps markdown as written', () => {
		const markdown = '# Title\n\n> quoted "text"\n\n- **bold** & _it_\n\n`code`';
		expect(neutraliseMarkdown(markdown)).toBe(markdown);
	});
});

/**
 * Linear time, by counting work rather than timing it: the two passes after sanitize-html read the text only
 * through charCodeAt and use no regular expression, and sanitize-html's parser reads through it too, so the
 * calls to charCodeAt are the characters read. Each hostile shape must cost a bounded number of reads per
 * character, and doubling its length must double the reads (a rescan from every line would quadruple them).
 */
describe('neutraliseMarkdown work', () => {
	function readsOf(work: () => void): number {
		const charCodeAt = String.prototype.charCodeAt;
		let reads = 0;
		String.prototype.charCodeAt = function (this: string, index: number) {
			reads++;
			return charCodeAt.call(this, index);
		};
		try {
			work();
		} finally {
			String.prototype.charCodeAt = charCodeAt;
		}
		return reads;
	}
	const fill = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
	const SHAPES = [
		'[\n',
		'[',
		'](',
		']: ',
		`](${'javascript'.repeat(20)}`,
		'&amp;',
		`&amp;${'a'.repeat(40)}`,
		'&',
		'<a ',
		'<@',
		`](${' '.repeat(50)}`,
	];

	it.each(SHAPES)('%j repeated: a bounded number of reads per character, linear in the length', (unit) => {
		const length = 18_000;
		const reads = readsOf(() => neutraliseMarkdown(fill(unit, length)));
		const half = readsOf(() => neutraliseMarkdown(fill(unit, length / 2)));
		expect(reads).toBeLessThanOrEqual(16 * length);
		expect(reads).toBeLessThanOrEqual(2 * half + 64);
	});
});

describe('checkPlainText', () => {
	it('trims, allows empty, refuses non-text and what is too long after trimming', () => {
		expect(checkPlainText('  Lab 3  ', 5, 'single')).toEqual({ ok: true, text: 'Lab 3' });
		expect(checkPlainText(`  ${'x'.repeat(5)}  `, 5, 'single')).toEqual({ ok: true, text: 'xxxxx' });
		expect(checkPlainText('   ', 5, 'single')).toEqual({ ok: true, text: '' });
		expect(checkPlainText('x'.repeat(6), 5, 'single')).toEqual({ ok: false, reason: 'too_long', max: 5 });
		expect(checkPlainText(7, 5, 'single')).toEqual({ ok: false, reason: 'not_text', max: 5 });
	});

	it('refuses control characters; multi-line text keeps tab, line feed and carriage return', () => {
		for (const control of ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009b'])
			for (const lines of ['single', 'multi'] as const)
				expect(checkPlainText(`a${control}b`, 50, lines)).toEqual({ ok: false, reason: 'control_character', max: 50 });
		for (const breaking of ['\t', '\n', '\r\n']) {
			expect(checkPlainText(`a${breaking}b`, 50, 'single')).toEqual({ ok: false, reason: 'control_character', max: 50 });
			expect(checkPlainText(`a${breaking}b`, 50, 'multi')).toEqual({ ok: true, text: `a${breaking}b` });
		}
		expect(checkPlainText('Ünïcödé 👍 \u202e', 50, 'single')).toEqual({ ok: true, text: 'Ünïcödé 👍 \u202e' });
	});
});

describe('checkBody', () => {
	it('trims, refuses empty, non-text, too long bodies and control characters', () => {
		expect(checkBody('  hi  ', 10)).toEqual({ ok: true, text: 'hi' });
		expect(checkBody('   ', 10)).toEqual({ ok: false, reason: 'empty', max: 10 });
		expect(checkBody(42, 10)).toEqual({ ok: false, reason: 'not_text', max: 10 });
		expect(checkBody('x'.repeat(11), 10)).toEqual({ ok: false, reason: 'too_long', max: 10 });
		expect(checkBody('a\u0000b', 10)).toEqual({ ok: false, reason: 'control_character', max: 10 });
		expect(checkBody('a\r\n\tb', 10)).toEqual({ ok: true, text: 'a\r\n\tb' });
	});
});

describe('extractMentions', () => {
	it('finds distinct <@uuid> mentions', () => {
		const a = '0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a01';
		const b = '6F1D3C2A-7B4E-4C1A-9A51-0C0B3E6D1A02';
		expect(extractMentions(`hi <@${a}> and <@${b}>, <@${a}> again, @nobody <@not-a-uuid>`)).toEqual([a, b.toLowerCase()]);
	});
});
