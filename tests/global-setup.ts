import type { TestProject } from 'vitest/node';
import { startDirectusInstance, type TestDatabase } from './support/directus-instance.js';

declare module 'vitest' {
	export interface ProvidedContext {
		directus: { url: string; db: TestDatabase; configPath: string; admin: { email: string; password: string }; secret: string };
	}
}

/** Short timers and small limits, so expiry, typing and rate limits are observable within a test. */
export const TEST_COMMUNITY_ENV = {
	COMMUNITY_MEMBERSHIP_SYNC_CRON: '* * * * * *',
	COMMUNITY_TYPING_TTL_MS: '800',
	COMMUNITY_SEND_LIMIT: '15',
	COMMUNITY_SEND_LIMIT_SECONDS: '10',
	// The other budgets are out of the way of tests that write a lot; socket-access/limits tests use send and typing.
	COMMUNITY_POST_LIMIT: '100000',
	COMMUNITY_EDIT_LIMIT: '100000',
	COMMUNITY_REACTION_LIMIT: '100000',
	COMMUNITY_REPORT_LIMIT: '100000',
	COMMUNITY_READ_LIMIT: '100000',
	COMMUNITY_JOIN_LIMIT: '100000',
	COMMUNITY_SYNC_LIMIT: '100000',
	COMMUNITY_PRESENCE_LIMIT: '100000',
	COMMUNITY_PRESENCE_HEARTBEAT_MS: '500',
	COMMUNITY_PRESENCE_BATCH_MS: '50',
	COMMUNITY_ACCESS_RECHECK_MS: '300',
	COMMUNITY_SOCKETS_PER_USER: '4',
	// A few hits per group already span both tiers of a PostgreSQL search (search.test.ts).
	COMMUNITY_SEARCH_RANK_WINDOW: '3',
	COMMUNITY_SOCKET_ORIGINS: 'http://app.example.com',
};

/** One Directus per test run (a boot costs seconds); tests isolate themselves with their own data. */
export default async function setup(project: TestProject) {
	const db: TestDatabase = process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
	const instance = await startDirectusInstance({ db, env: TEST_COMMUNITY_ENV });
	project.provide('directus', { url: instance.url, db, configPath: instance.configPath, admin: instance.admin, secret: instance.secret });
	return () => instance.stop();
}
