import type { Command } from 'commander';
import type { SetupContext } from './context.js';
import { runSetup } from './run-setup.js';

interface SetupCliOptions {
	snapshots: string;
	lms: boolean;
	json?: boolean;
}

/** Registers `directus community setup` on Directus's CLI (the `cli.before` init hook). */
export function registerCommunityCli(program: Command, ctx: SetupContext, defaults: { snapshotsDir: string }): void {
	const community = program.command('community').description('LMS community: schema and access setup');
	community
		.command('setup')
		.description('Apply the community snapshots, composite indexes, roles and policies (idempotent)')
		.option('--snapshots <dir>', 'folder holding lms.yaml and community.yaml', defaults.snapshotsDir)
		.option('--no-lms', 'skip the LMS snapshot (courses, enrollments) when the LMS already has them')
		.option('--json', 'print the report as JSON')
		.action(async (options: SetupCliOptions) => {
			let exitCode = 0;
			try {
				const report = await runSetup(ctx, { snapshotsDir: options.snapshots, includeLms: options.lms });
				if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
				else {
					for (const step of report.schema) ctx.logger.info(`schema ${step.file}: ${step.changed ? 'applied' : 'up to date'}`);
					ctx.logger.info(`indexes ensured: ${report.indexes.length}`);
					ctx.logger.info(`access: ${report.access.created.length} created, ${report.access.updated.length} updated`);
					ctx.logger.info(`admin app: ${report.app.length > 0 ? report.app.join(', ') : 'up to date'}`);
					ctx.logger.info(`groups created for courses without one: ${report.groups.length}`);
				}
			} catch (error) {
				ctx.logger.error(error, 'community setup failed');
				exitCode = 1;
			} finally {
				await ctx.database.destroy();
			}
			process.exit(exitCode);
		});
}
