import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../scripts/lib/env-file.mjs';
import { ROOT } from '../support/directus-instance.js';

const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText);
const example = parseEnvFile(readFileSync(path.join(ROOT, '.env.example'), 'utf8'));

describe('docker-compose.yml', () => {
	it('runs PostgreSQL, Redis and Directus 12.4.0 from pinned images', () => {
		expect(Object.keys(compose.services).sort()).toEqual(['directus', 'postgres', 'redis']);
		expect(compose.services.directus.image).toBe('directus/directus:12.4.0');
		for (const [name, service] of Object.entries<{ image: string }>(compose.services)) {
			expect(service.image, name).toMatch(/^[\w/.-]+:\d+(\.\d+)+[\w.-]*$/);
		}
	});

	it('documents every variable it uses in .env.example', () => {
		const withoutComments = composeText.replace(/^\s*#.*$/gm, '');
		const used = [...withoutComments.matchAll(/\$\{(\w+)(?::?-[^}]*)?\}/g)].map((m) => m[1]!);
		expect(used.length).toBeGreaterThan(0);
		for (const name of used) expect(Object.keys(example), name).toContain(name);
	});

	it('mounts the built bundle and the snapshots, and applies them on start', () => {
		const directus = compose.services.directus;
		expect(directus.volumes).toContain('./extensions/lms-community/dist:/directus/extensions/directus-extension-lms-community/dist:ro');
		expect(directus.volumes).toContain(
			'./extensions/lms-community/package.json:/directus/extensions/directus-extension-lms-community/package.json:ro',
		);
		expect(directus.volumes).toContain('./snapshots:/directus/snapshots:ro');
		expect(directus.environment.COMMUNITY_SNAPSHOTS_PATH).toBe('/directus/snapshots');
		expect(directus.command.join(' ')).toMatch(/bootstrap && node cli\.js community setup && pm2-runtime/);
		expect(directus.environment.DB_HOST).toBe('postgres');
		expect(directus.environment.REDIS).toBe('redis://redis:6379');
		expect(directus.depends_on.postgres.condition).toBe('service_healthy');
	});
});
