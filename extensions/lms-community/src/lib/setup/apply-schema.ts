import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import type { Accountability, Snapshot as DirectusSnapshot } from '@directus/types';
import { alignSnapshotToVendor, type Snapshot } from './align-snapshot.js';
import type { SetupContext } from './context.js';

/** SchemaService refuses anyone but an admin; the setup command is the system acting as one. */
const SYSTEM_ADMIN: Accountability = { admin: true, app: false, role: null, roles: [], user: null, ip: null };

export const LMS_SNAPSHOT = 'lms.yaml';
export const COMMUNITY_SNAPSHOT = 'community.yaml';

export interface SchemaStepResult {
	file: string;
	changed: boolean;
}

async function readSnapshot(file: string): Promise<Snapshot> {
	return parse(await readFile(file, 'utf8')) as Snapshot;
}

/**
 * Applies one snapshot file through Directus's own SchemaService, as the system (admin accountability):
 * in merge mode, so fields and collections an admin added beside ours are never dropped.
 */
export async function applySnapshotFileAsSystem(ctx: SetupContext, file: string): Promise<SchemaStepResult> {
	const asSystem = new ctx.services.SchemaService({
		knex: ctx.database,
		schema: await ctx.getSchema({ database: ctx.database }),
		accountability: SYSTEM_ADMIN,
	});
	const current = await asSystem.snapshot();
	const desired = alignSnapshotToVendor(await readSnapshot(file), current as Snapshot) as DirectusSnapshot;
	const diff = await asSystem.diff(desired, { currentSnapshot: current, force: true, mode: 'merge' });
	if (!diff) return { file, changed: false };
	await asSystem.apply({ hash: asSystem.getHashedSnapshot(current).hash, diff });
	return { file, changed: true };
}

export async function applySnapshotsAsSystem(
	ctx: SetupContext,
	options: { snapshotsDir: string; includeLms: boolean },
): Promise<SchemaStepResult[]> {
	const files = [...(options.includeLms ? [LMS_SNAPSHOT] : []), COMMUNITY_SNAPSHOT];
	const results: SchemaStepResult[] = [];
	for (const name of files) {
		results.push(await applySnapshotFileAsSystem(ctx, path.resolve(options.snapshotsDir, name)));
	}
	return results;
}
