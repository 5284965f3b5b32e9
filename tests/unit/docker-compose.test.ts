import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../scripts/lib/env-file.mjs';
import { ROOT } from '../support/directus-instance.js';
import { checkHaproxyConfig, HAPROXY_CONFIG_PATH, haproxyDuration, haproxyInstalled, localHaproxyConfig } from '../support/haproxy.js';

const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText);
const services = compose.services;
const example = parseEnvFile(readFileSync(path.join(ROOT, '.env.example'), 'utf8'));
const deploymentDoc = readFileSync(path.join(ROOT, 'docs', 'deployment.md'), 'utf8');
const haproxyConfig = readFileSync(HAPROXY_CONFIG_PATH, 'utf8');
const withoutComments = (text: string) => text.replace(/^\s*#.*$/gm, '');

/** Socket.IO's default ping interval: an idle WebSocket sees a packet at least this often. */
const SOCKET_IO_PING_INTERVAL_MS = 25_000;

describe('docker-compose.yml', () => {
	it('runs PostgreSQL, Redis, a one-shot setup, Directus 12.4.0 replicas and HAProxy 2.6, all from pinned images', () => {
		expect(Object.keys(services).sort()).toEqual(['directus', 'haproxy', 'postgres', 'redis', 'setup']);
		expect(services.directus.image).toBe('directus/directus:12.4.0');
		expect(services.setup.image).toBe('directus/directus:12.4.0');
		// Debian 12's haproxy is 2.6: the tests run the same config on the same syntax.
		expect(services.haproxy.image).toMatch(/^haproxy:2\.6\.\d+/);
		for (const [name, service] of Object.entries<{ image: string }>(services)) {
			expect(service.image, name).toMatch(/^[\w/.-]+:\d+(\.\d+)+[\w.-]*$/);
		}
	});

	it('documents every variable it uses, in .env.example and in docs/deployment.md', () => {
		const used = [...withoutComments(composeText).matchAll(/\$\{(\w+)(?::?-[^}]*)?\}/g)].map((m) => m[1]!);
		expect(used.length).toBeGreaterThan(5);
		for (const name of new Set(used)) {
			expect(Object.keys(example), name).toContain(name);
			expect(deploymentDoc, name).toContain(`\`${name}\``);
		}
	});

	it('sets up once, before any replica: bootstrap and the community setup run in the setup service only', () => {
		const { setup, directus } = services;
		expect(setup.command.join(' ')).toMatch(/^sh -c node cli\.js bootstrap && node cli\.js community setup$/);
		expect(setup.restart).toBe('no');
		expect(setup.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
		expect(directus.depends_on).toEqual({ setup: { condition: 'service_completed_successfully' } });
		// One process per replica, and no migration race between replicas.
		expect(directus.command).toEqual(['node', 'cli.js', 'start']);
		expect(JSON.stringify(directus.command)).not.toMatch(/bootstrap|community setup|pm2/);
		expect(setup.environment).toEqual(directus.environment);
	});

	it('runs N replicas reachable only through HAProxy, sharing the uploads volume', () => {
		const { directus, haproxy } = services;
		expect(String(directus.deploy.replicas)).toMatch(/^\$\{DIRECTUS_REPLICAS:-\d+\}$|^\d+$/);
		expect(directus.ports).toBeUndefined();
		expect(services.setup.ports).toBeUndefined();
		expect(haproxy.ports).toEqual(['${HTTP_PORT:-8055}:8080']);
		expect(haproxy.volumes).toContain('./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
		expect(directus.volumes).toContain('directus-uploads:/directus/uploads');
		expect(directus.environment.STORAGE_LOCAL_ROOT).toBe('/directus/uploads');
		expect(Object.keys(compose.volumes)).toContain('directus-uploads');
	});

	it("mounts the built bundle and the snapshots, and sets Directus's multi-instance stores on Redis", () => {
		const { directus } = services;
		expect(directus.volumes).toContain('./extensions/lms-community/dist:/directus/extensions/directus-extension-lms-community/dist:ro');
		expect(directus.volumes).toContain(
			'./extensions/lms-community/package.json:/directus/extensions/directus-extension-lms-community/package.json:ro',
		);
		expect(directus.volumes).toContain('./snapshots:/directus/snapshots:ro');
		expect(directus.environment).toMatchObject({
			COMMUNITY_SNAPSHOTS_PATH: '/directus/snapshots',
			DB_HOST: 'postgres',
			REDIS: 'redis://redis:6379',
			CACHE_STORE: 'redis',
			SYNCHRONIZATION_STORE: 'redis',
			RATE_LIMITER_STORE: 'redis',
			IP_TRUST_PROXY: 'true',
		});
	});
});

describe('deploy/haproxy.cfg', () => {
	const setting = (pattern: RegExp) => pattern.exec(withoutComments(haproxyConfig))?.[1];

	it('lets WebSockets through for the community socket and /websocket, with a tunnel timeout above the ping interval', () => {
		expect(haproxyConfig).toMatch(/acl community_socket path_beg \/community\/socket\.io\//);
		expect(haproxyConfig).toMatch(/acl directus_websocket path \/websocket/);
		expect(haproxyDuration(setting(/timeout tunnel (\S+)/)!)).toBeGreaterThan(SOCKET_IO_PING_INTERVAL_MS);
		// A long-polling GET is held up to the ping interval: client and server timeouts must outlast it.
		expect(haproxyDuration(setting(/timeout client (\S+)/)!)).toBeGreaterThan(SOCKET_IO_PING_INTERVAL_MS);
		expect(haproxyDuration(setting(/timeout server (\S+)/)!)).toBeGreaterThan(SOCKET_IO_PING_INTERVAL_MS);
	});

	it('sticks long-polling clients to one instance with a cookie, and checks readiness on /community/health', () => {
		expect(haproxyConfig).toMatch(/^\s*cookie \S+ insert indirect nocache/m);
		expect(haproxyConfig).toMatch(/http-check send meth GET uri \/community\/health/);
		expect(haproxyConfig).toMatch(/http-check expect status 200/);
		expect(haproxyConfig).toMatch(/default-server check /);
		expect(haproxyConfig).toMatch(/option redispatch/);
		expect(haproxyConfig).toMatch(/server-template directus \d+ directus:8055 resolvers docker/);
	});

	it('turns into a local config that changes only the bind line, the resolvers and the servers', () => {
		const local = localHaproxyConfig(haproxyConfig, {
			port: 9999,
			servers: [
				{ name: 'a', port: 1 },
				{ name: 'b', port: 2 },
			],
		});
		expect(local).toContain('bind 127.0.0.1:9999');
		expect(local).toContain('server a 127.0.0.1:1');
		expect(withoutComments(local)).not.toMatch(/resolvers|server-template|nameserver/);
		const kept = (text: string) => text.split('\n').filter((l) => !/bind|server|resolvers|nameserver|hold valid|accepted_payload/.test(l));
		expect(kept(local)).toEqual(kept(haproxyConfig));
	});

	it.runIf(haproxyInstalled())('is valid for the installed haproxy (haproxy -c), as deployed and as the tests run it', () => {
		expect(checkHaproxyConfig(HAPROXY_CONFIG_PATH, { HAPROXY_COOKIE_KEY: 'k' })).toMatchObject({ ok: true });
		const dir = mkdtempSync(path.join(tmpdir(), 'lms-community-haproxy-unit-'));
		try {
			const file = path.join(dir, 'haproxy.cfg');
			writeFileSync(file, localHaproxyConfig(haproxyConfig, { port: 9999, servers: [{ name: 'a', port: 1 }] }));
			expect(checkHaproxyConfig(file, { HAPROXY_COOKIE_KEY: 'k' })).toMatchObject({ ok: true });
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
