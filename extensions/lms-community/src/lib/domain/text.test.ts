import { describe, expect, it } from 'vitest';
import { checkBody, extractMentions, neutraliseMarkdown } from './text.js';

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

	it('keeps mentions as written', () => {
		expect(neutraliseMarkdown('hi <@0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a01>!')).toBe('hi <@0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a01>!');
	});

	it('keeps markdown as written', () => {
		const markdown = '# Title\n\n> quoted "text"\n\n- **bold** & _it_\n\n`code`';
		expect(neutraliseMarkdown(markdown)).toBe(markdown);
	});
});

describe('checkBody', () => {
	it('trims, refuses empty, non-text and too long bodies', () => {
		expect(checkBody('  hi  ', 10)).toEqual({ ok: true, text: 'hi' });
		expect(checkBody('   ', 10)).toEqual({ ok: false, reason: 'empty', max: 10 });
		expect(checkBody(42, 10)).toEqual({ ok: false, reason: 'not_text', max: 10 });
		expect(checkBody('x'.repeat(11), 10)).toEqual({ ok: false, reason: 'too_long', max: 10 });
	});
});

describe('extractMentions', () => {
	it('finds distinct <@uuid> mentions', () => {
		const a = '0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a01';
		const b = '6F1D3C2A-7B4E-4C1A-9A51-0C0B3E6D1A02';
		expect(extractMentions(`hi <@${a}> and <@${b}>, <@${a}> again, @nobody <@not-a-uuid>`)).toEqual([a, b.toLowerCase()]);
	});
});
