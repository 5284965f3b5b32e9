// What `npm test` needs from the machine, decided from probes (scripts/check-machine.mjs takes them), so the
// decision is testable without the machine.

/** Where a browser may already be: Debian's Chromium first (what .ci/run installs), then other common names. */
export const BROWSER_CANDIDATES = [
	'/usr/bin/chromium',
	'/usr/bin/chromium-browser',
	'/usr/bin/google-chrome',
	'/usr/bin/google-chrome-stable',
	'/snap/bin/chromium',
];

export const DEFAULT_BROWSER = '/usr/bin/chromium';

/**
 * @param {{
 *   redisServer: boolean,
 *   haproxy: boolean,
 *   browsers: { configured: string | null, configuredExists: boolean, found: string[], packaged: boolean },
 *   postgres: { ok: boolean, target: string, error?: string },
 * }} probes
 * @returns {Array<{ what: string, fix: string }>}
 */
export function missingPieces(probes) {
	const missing = [];
	if (!probes.postgres.ok)
		missing.push({
			what: `PostgreSQL at ${probes.postgres.target} (${probes.postgres.error ?? 'unreachable'}): the multi-instance tests use it whatever TEST_DB says`,
			fix: 'apt-get install -y postgresql, start it on 127.0.0.1:5432 (pg_ctlcluster <version> main start), and set PGUSER to a role that may create databases (default postgres, trust auth)',
		});
	if (!probes.redisServer)
		missing.push({ what: 'a `redis-server` binary on PATH (tests start their own Redis servers)', fix: 'apt-get install -y redis-server' });
	if (!probes.haproxy)
		missing.push({ what: 'an `haproxy` binary on PATH (the balancer test runs deploy/haproxy.cfg)', fix: 'apt-get install -y haproxy' });
	const { configured, configuredExists, found, packaged } = probes.browsers;
	if (configured !== null && !configuredExists)
		missing.push({ what: `the browser CHROMIUM_PATH names (${configured})`, fix: 'point CHROMIUM_PATH at a Chromium or Chrome binary' });
	// Without Debian's Chromium the browser test takes the one inside the @sparticuz/chromium devDependency.
	else if (configured === null && !found.includes(DEFAULT_BROWSER) && !packaged)
		missing.push(
			found.length > 0
				? { what: `Chromium at ${DEFAULT_BROWSER} (found ${found[0]} instead)`, fix: `export CHROMIUM_PATH=${found[0]}` }
				: {
						what: `Chromium at ${DEFAULT_BROWSER} or from @sparticuz/chromium (the browser test drives it)`,
						fix: 'npm ci (installs @sparticuz/chromium), or apt-get install -y chromium, or set CHROMIUM_PATH',
					},
		);
	return missing;
}

/** One message listing everything missing at once, each with how to get it. */
export function formatMissing(missing) {
	if (missing.length === 0) return '';
	const lines = missing.map(({ what, fix }) => `  - ${what}\n      fix: ${fix}`);
	return [
		`npm test cannot run on this machine: ${missing.length} thing${missing.length === 1 ? ' is' : 's are'} missing (README.md, "Tests").`,
		...lines,
		'Set SKIP_MACHINE_CHECK=1 to run anyway (e.g. a single unit test file).',
	].join('\n');
}
