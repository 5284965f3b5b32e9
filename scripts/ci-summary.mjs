// Prints one closing line for CI ("N passed, N failed") from vitest's JSON reports; fails when any is missing.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let missing = 0;
for (const file of process.argv.slice(2)) {
	if (!existsSync(file)) {
		console.log(`${file}: no report (the run did not finish)`);
		missing++;
		continue;
	}
	const report = JSON.parse(readFileSync(file, 'utf8'));
	passed += report.numPassedTests;
	failed += report.numFailedTests + (report.numFailedTestSuites ?? 0);
	console.log(`${file}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
}
console.log(`${passed} passed, ${failed + missing} failed`);
process.exit(failed + missing > 0 || passed === 0 ? 1 : 0);
