import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bundle's e-mail templates ship in its `templates/` folder, beside `dist/`. */
const BUNDLE_TEMPLATES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../templates');

export const DIGEST_TEMPLATE = 'community-digest';

/**
 * Directus's mailer reads templates from one folder (EMAIL_TEMPLATES_PATH) and its own: an extension cannot add
 * a folder, so the bundle's templates are copied there (the bundle owns these names: a changed copy is replaced).
 */
export async function installEmailTemplates(targetDir: string): Promise<string[]> {
	const target = path.resolve(targetDir);
	await mkdir(target, { recursive: true });
	const installed: string[] = [];
	for (const file of (await readdir(BUNDLE_TEMPLATES)).filter((name) => name.endsWith('.liquid'))) {
		const destination = path.join(target, file);
		const current = await readFile(destination, 'utf8').catch(() => null);
		if (current === (await readFile(path.join(BUNDLE_TEMPLATES, file), 'utf8'))) continue;
		await copyFile(path.join(BUNDLE_TEMPLATES, file), destination);
		installed.push(destination);
	}
	return installed;
}
