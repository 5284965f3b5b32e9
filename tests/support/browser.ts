import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it): never a test tool's own download. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Where browser tests save their screenshots (docs/images holds the ones the admin guide shows). */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '..', '..', '.tmp', 'screenshots');

/** Headless Chromium with the flags this machine needs (root, no GPU, no background network). */
export async function launchChromium(): Promise<Browser> {
	if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install chromium`);
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	return chromium.launch({
		executablePath: CHROMIUM_PATH,
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
