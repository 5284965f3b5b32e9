import type { TestProject } from 'vitest/node';
import { startDirectusInstance, type TestDatabase } from './support/directus-instance.js';

declare module 'vitest' {
	export interface ProvidedContext {
		directus: { url: string; db: TestDatabase; configPath: string; admin: { email: string; password: string }; secret: string };
	}
}

/** One Directus per test run (a boot costs seconds); tests isolate themselves with their own data. */
export default async function setup(project: TestProject) {
	const db: TestDatabase = process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
	// The membership sweep runs every second here, so expiry-by-date is observable in a test.
	const instance = await startDirectusInstance({ db, env: { COMMUNITY_MEMBERSHIP_SYNC_CRON: '* * * * * *' } });
	project.provide('directus', { url: instance.url, db, configPath: instance.configPath, admin: instance.admin, secret: instance.secret });
	return () => instance.stop();
}
