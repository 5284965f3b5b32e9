// `npm run build`: builds the bundle and records which sources it was built from (npm start checks it).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markBundleBuilt } from './lib/bundle-build.mjs';
import { run } from './lib/run.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await run('npm', ['run', 'build', '--workspace', 'extensions/lms-community'], { cwd: root });
markBundleBuilt(path.join(root, 'extensions', 'lms-community'));
