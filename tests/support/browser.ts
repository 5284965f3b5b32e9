import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './directus-instance.js';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it): never a test tool's own download. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** Where browser tests save their screenshots (docs/images holds the ones the admin guide shows). */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '..', '..', '.tmp', 'screenshots');

interface ChromiumBinary {
	executablePath: string;
	/** Extra environment of the browser process. */
	env: Record<string, string>;
}

/**
 * CHROMIUM_PATH if set, else Debian's Chromium, else the one inside the `@sparticuz/chromium` devDependency
 * (brotli archives in the npm tarball, unpacked into the temp directory at first use). Its NSS and expat
 * libraries ship in the same package (for Amazon Linux) and are used here too, with its fonts: a machine without
 * Debian's Chromium has neither (docs/testing.md).
 */
async function chromiumBinary(): Promise<ChromiumBinary> {
	const configured = process.env['CHROMIUM_PATH'];
	if (configured) {
		if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH names no file: ${configured}`);
		return { executablePath: configured, env: {} };
	}
	if (existsSync(DEBIAN_CHROMIUM)) return { executablePath: DEBIAN_CHROMIUM, env: {} };
	const { default: packaged, inflate } = await import('@sparticuz/chromium');
	const executablePath = await packaged.executablePath();
	const libraries = await inflate(path.join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'bin', 'al2023.tar.br'));
	return {
		executablePath,
		env: { LD_LIBRARY_PATH: path.join(libraries, 'lib'), FONTCONFIG_PATH: path.join(tmpdir(), 'fonts') },
	};
}

/** Headless Chromium with the flags this machine needs (root, no GPU, no background network). */
export async function launchChromium(): Promise<Browser> {
	const { executablePath, env } = await chromiumBinary();
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	return chromium.launch({
		executablePath,
		env: { ...process.env, ...env },
		headless: true,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
		],
	});
}
