import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleIsCurrent, markBundleBuilt } from '../../scripts/lib/bundle-build.mjs';
import { ensureEnvFile, GENERATE_MARKER, parseEnvFile, renderEnvFile } from '../../scripts/lib/env-file.mjs';
import { ROOT } from '../support/directus-instance.js';

const dirs: string[] = [];
const tempDir = () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'lms-community-unit-'));
	dirs.push(dir);
	return dir;
};
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('.env creation', () => {
	it('commits no secret: the template only has markers where secrets go', () => {
		const example = parseEnvFile(readFileSync(path.join(ROOT, '.env.example'), 'utf8'));
		expect(example.SECRET).toBe(GENERATE_MARKER);
		expect(example.ADMIN_PASSWORD).toBe(GENERATE_MARKER);
		expect(example.DB_CLIENT).toBe('sqlite3');
		expect(example.DB_FILENAME).toBe('./data/directus.db');
	});

	it('fills every marker with its own random value', () => {
		const { text, generated } = renderEnvFile('A=1\nSECRET=__GENERATE__\nADMIN_PASSWORD=__GENERATE__\n');
		expect(Object.keys(generated)).toEqual(['SECRET', 'ADMIN_PASSWORD']);
		expect(generated.SECRET!.length).toBeGreaterThanOrEqual(64);
		expect(generated.SECRET).not.toBe(generated.ADMIN_PASSWORD);
		expect(text).toBe(`A=1\nSECRET=${generated.SECRET}\nADMIN_PASSWORD=${generated.ADMIN_PASSWORD}\n`);
		expect(renderEnvFile('SECRET=__GENERATE__').generated.SECRET).not.toBe(generated.SECRET);
	});

	it('creates .env once and never overwrites it', () => {
		const dir = tempDir();
		writeFileSync(path.join(dir, '.env.example'), 'SECRET=__GENERATE__\n');
		const first = ensureEnvFile(path.join(dir, '.env'), path.join(dir, '.env.example'));
		expect(first.SECRET).toBeTruthy();
		const written = readFileSync(path.join(dir, '.env'), 'utf8');
		expect(ensureEnvFile(path.join(dir, '.env'), path.join(dir, '.env.example'))).toEqual({});
		expect(readFileSync(path.join(dir, '.env'), 'utf8')).toBe(written);
	});
});

describe('bundle rebuild detection', () => {
	it('rebuilds when a source or the manifest changes, not otherwise', () => {
		const dir = tempDir();
		mkdirSync(path.join(dir, 'src'), { recursive: true });
		mkdirSync(path.join(dir, 'dist'), { recursive: true });
		writeFileSync(path.join(dir, 'package.json'), '{}');
		writeFileSync(path.join(dir, 'src', 'index.ts'), 'export const a = 1;');
		expect(bundleIsCurrent(dir)).toBe(false);
		writeFileSync(path.join(dir, 'dist', 'api.js'), '');
		markBundleBuilt(dir);
		expect(bundleIsCurrent(dir)).toBe(true);
		writeFileSync(path.join(dir, 'src', 'index.ts'), 'export const a = 2;');
		expect(bundleIsCurrent(dir)).toBe(false);
		markBundleBuilt(dir);
		writeFileSync(path.join(dir, 'package.json'), '{"version":"2"}');
		expect(bundleIsCurrent(dir)).toBe(false);
	});
});
