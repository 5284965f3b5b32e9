import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['tests/**/*.test.ts', 'extensions/lms-community/src/**/*.test.ts'],
		globalSetup: ['tests/global-setup.ts'],
		testTimeout: 60_000,
		hookTimeout: 180_000,
		// Integration files share one Directus; running them one at a time keeps the 2-core machines calm.
		fileParallelism: false,
	},
});
