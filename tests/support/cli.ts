import { inject } from 'vitest';
import { runCli, type CliResult } from './directus-instance.js';

/** Runs a Directus CLI command against the test instance's config (same database as the server). */
export function directusCli(args: string[]): Promise<CliResult> {
	return runCli(inject('directus').configPath, args);
}
/** The JSON report `directus community setup --json` prints on its last line. */
export async function runSetup(): Promise<{
	schema: Array<{ file: string; changed: boolean }>;
	indexes: string[];
	access: { created: string[]; updated: string[] };
	app: string[];
	groups: number[];
}> {
	const result = await directusCli(['community', 'setup', '--json']);
	if (result.code !== 0) throw new Error(`setup failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
	const line = result.stdout.split('\n').find((l) => l.startsWith('{"schema"'));
	if (!line) throw new Error(`no report in:\n${result.stdout}`);
	return JSON.parse(line);
}
