import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Marker in .env.example for values each installation must generate for itself. */
export const GENERATE_MARKER = '__GENERATE__';

/** Text of a new .env: the template with every marker replaced by its own random secret. */
export function renderEnvFile(template, random = (bytes) => randomBytes(bytes).toString('base64url')) {
	const generated = {};
	const text = template.replace(/^([A-Z0-9_]+)=__GENERATE__$/gm, (_line, key) => {
		generated[key] = random(key === 'SECRET' ? 48 : 18);
		return `${key}=${generated[key]}`;
	});
	return { text, generated };
}

/** Minimal dotenv reader for the keys the scripts need (Directus parses the file itself). */
export function parseEnvFile(text) {
	const values = {};
	for (const line of text.split('\n')) {
		const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
		if (match) values[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
	}
	return values;
}

/** Creates `envPath` from `examplePath` when missing; returns the generated values (empty when it existed). */
export function ensureEnvFile(envPath, examplePath) {
	if (existsSync(envPath)) return {};
	const { text, generated } = renderEnvFile(readFileSync(examplePath, 'utf8'));
	writeFileSync(envPath, text, { mode: 0o600 });
	return generated;
}
