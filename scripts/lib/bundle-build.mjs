import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function listFiles(dir) {
	return readdirSync(dir)
		.sort()
		.flatMap((name) => {
			const full = path.join(dir, name);
			return statSync(full).isDirectory() ? listFiles(full) : [full];
		});
}

/** Hash of what the bundle is built from: its sources and its manifest. */
export function bundleSourceHash(bundleDir) {
	const hash = createHash('sha256');
	for (const file of [path.join(bundleDir, 'package.json'), ...listFiles(path.join(bundleDir, 'src'))]) {
		hash.update(path.relative(bundleDir, file));
		hash.update(readFileSync(file));
	}
	return hash.digest('hex');
}

const stampFile = (bundleDir) => path.join(bundleDir, 'dist', '.source-hash');

export function bundleIsCurrent(bundleDir) {
	const stamp = stampFile(bundleDir);
	if (!existsSync(path.join(bundleDir, 'dist', 'api.js')) || !existsSync(stamp)) return false;
	return readFileSync(stamp, 'utf8') === bundleSourceHash(bundleDir);
}

export function markBundleBuilt(bundleDir) {
	writeFileSync(stampFile(bundleDir), bundleSourceHash(bundleDir));
}
