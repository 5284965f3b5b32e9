import { describe, expect, it } from 'vitest';
import { DEFAULT_BROWSER, formatMissing, missingPieces, type MachineProbes } from '../../scripts/lib/machine-check.mjs';

const complete: MachineProbes = {
	redisServer: true,
	haproxy: true,
	browsers: { configured: null, configuredExists: false, found: [DEFAULT_BROWSER], packaged: false },
	postgres: { ok: true, target: 'postgres@127.0.0.1:5432' },
};

describe("npm test's machine check", () => {
	it('passes a machine with everything, and says nothing', () => {
		expect(missingPieces(complete)).toEqual([]);
		expect(formatMissing([])).toBe('');
	});

	it('lists everything missing in one message, each with how to get it', () => {
		const missing = missingPieces({
			redisServer: false,
			haproxy: false,
			browsers: { configured: null, configuredExists: false, found: [], packaged: false },
			postgres: { ok: false, target: 'postgres@127.0.0.1:5432', error: 'connect ECONNREFUSED 127.0.0.1:5432' },
		});
		expect(missing.map((m) => m.fix)).toEqual([
			expect.stringContaining('apt-get install -y postgresql'),
			'apt-get install -y redis-server',
			'apt-get install -y haproxy',
			expect.stringContaining('apt-get install -y chromium'),
		]);
		const message = formatMissing(missing);
		expect(message.split('\n')[0]).toBe('npm test cannot run on this machine: 4 things are missing (README.md, "Tests").');
		expect(message).toContain('ECONNREFUSED');
		expect(message).toContain('SKIP_MACHINE_CHECK=1');
	});

	it('accepts a browser named by CHROMIUM_PATH, and points at another one it found when Chromium is elsewhere', () => {
		expect(
			missingPieces({ ...complete, browsers: { configured: '/opt/chrome', configuredExists: true, found: [], packaged: false } }),
		).toEqual([]);
		expect(
			missingPieces({
				...complete,
				browsers: { configured: '/opt/chrome', configuredExists: false, found: [DEFAULT_BROWSER], packaged: false },
			}),
		).toEqual([{ what: 'the browser CHROMIUM_PATH names (/opt/chrome)', fix: expect.any(String) }]);
		expect(
			missingPieces({
				...complete,
				browsers: { configured: null, configuredExists: false, found: ['/usr/bin/google-chrome'], packaged: false },
			}),
		).toEqual([
			{ what: `Chromium at ${DEFAULT_BROWSER} (found /usr/bin/google-chrome instead)`, fix: 'export CHROMIUM_PATH=/usr/bin/google-chrome' },
		]);
	});

	it("takes the Chromium inside @sparticuz/chromium when Debian's is absent; CHROMIUM_PATH still wins", () => {
		expect(missingPieces({ ...complete, browsers: { configured: null, configuredExists: false, found: [], packaged: true } })).toEqual([]);
		expect(
			missingPieces({
				...complete,
				browsers: { configured: null, configuredExists: false, found: ['/usr/bin/google-chrome'], packaged: true },
			}),
		).toEqual([]);
		expect(
			missingPieces({ ...complete, browsers: { configured: '/opt/chrome', configuredExists: false, found: [], packaged: true } }),
		).toEqual([{ what: 'the browser CHROMIUM_PATH names (/opt/chrome)', fix: expect.any(String) }]);
	});
});
