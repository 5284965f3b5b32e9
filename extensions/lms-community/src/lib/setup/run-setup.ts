import { applyAccessAsSystem, type AccessSetupReport } from './apply-access.js';
import { applyAppAsSystem } from './apply-app.js';
import { applySnapshotsAsSystem, type SchemaStepResult } from './apply-schema.js';
import type { SetupContext } from './context.js';
import { dropChangeCursorTriggers, ensureChangeCursor } from './change-cursor.js';
import { ensureCompositeIndexes } from './indexes.js';
import { ensureSearchIndexes } from './search-index.js';
import { ensureGroupsForCourses } from '../community/membership.js';

export interface SetupOptions {
	/** Folder holding lms.yaml and community.yaml. */
	snapshotsDir: string;
	/** false when the LMS already has its own `courses` and `enrollments` (see docs/deployment.md). */
	includeLms: boolean;
}

export interface SetupReport {
	schema: SchemaStepResult[];
	indexes: string[];
	access: AccessSetupReport;
	/** Admin-app changes: the Community module in the module bar, the "Pending posts" bookmark. */
	app: string[];
	/** Groups created for courses that had none. */
	groups: number[];
}

/** Everything `directus community setup` does, in order; safe to run on every start. */
export async function runSetup(ctx: SetupContext, options: SetupOptions): Promise<SetupReport> {
	await dropChangeCursorTriggers(ctx.database);
	let schema: SchemaStepResult[];
	let changeCursor: string[] = [];
	try {
		schema = await applySnapshotsAsSystem(ctx, options);
	} finally {
		// Whatever the snapshot's outcome, chat changes are numbered again: a failed setup leaves no gap behind.
		changeCursor = await ensureChangeCursor(ctx.database);
	}
	const indexes = [...(await ensureCompositeIndexes(ctx.database)), ...(await ensureSearchIndexes(ctx.database)), ...changeCursor];
	const access = await applyAccessAsSystem(ctx);
	const app = await applyAppAsSystem(ctx);
	const groups = await ensureGroupsForCourses(ctx);
	return { schema, indexes, access, app, groups };
}
