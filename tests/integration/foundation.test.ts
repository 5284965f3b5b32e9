import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Api, directusUrl } from '../support/api.js';
import { directusCli } from '../support/cli.js';
import { ROOT } from '../support/directus-instance.js';

const bundleManifest = JSON.parse(readFileSync(path.join(ROOT, 'extensions/lms-community/package.json'), 'utf8'));
const rootManifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

describe('a running Directus with the bundle', () => {
	it('answers /server/ping and the bundle health endpoint with the bundle version', async () => {
		const api = new Api(directusUrl());
		const ping = await fetch(`${directusUrl()}/server/ping`);
		expect(await ping.text()).toBe('pong');
		const health = await api.get('/community/health');
		expect(health.status).toBe(200);
		expect(health.body.data).toMatchObject({ status: 'ok', version: bundleManifest.version, checks: { database: { status: 'ok' } } });
	});

	it('runs on Node 22 from the node@22 devDependency, in npm scripts and in the Directus it starts', async () => {
		expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
		expect(rootManifest.engines.node).toBe('>=22');
		expect(rootManifest.devDependencies.node).toMatch(/^\^?22\./);
		const version = await directusCli(['--version']);
		expect(version.code).toBe(0);
		expect(version.stdout).toContain('12.4.0');
	});

	it('pins directus@12.4.0 and ships the bundle under the SDK bundle manifest', () => {
		expect(rootManifest.devDependencies.directus).toBe('12.4.0');
		expect(bundleManifest.name).toBe('directus-extension-lms-community');
		expect(bundleManifest.keywords).toContain('directus-extension-bundle');
		const extension = bundleManifest['directus:extension'];
		expect(extension.type).toBe('bundle');
		expect(extension.path).toEqual({ app: 'dist/app.js', api: 'dist/api.js' });
		expect(extension.host).toBe('^12.0.0');
	});
});
