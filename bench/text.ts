/**
 * `npm run bench:text`: what sanitising a post body costs on hostile input against benign markdown. Each input
 * is built at 9,000 and 18,000 characters (bodies may have 20,000) and sanitised in batches; the fastest batch
 * gives the time per body (the least disturbed by the rest of the machine). Linear time shows as growth ≈ 2 when the length doubles (quadratic: ≈ 4).
 */
import { neutraliseMarkdown } from '../extensions/lms-community/src/lib/domain/text.js';

const LENGTH = 18_000;
const BATCH = 20;
const BATCHES = 40;

const BENIGN_UNIT = [
	'## Lab 3, question 2',
	'',
	'I tried the **second** approach from the [syllabus](https://example.com/course?week=3&part=2) but the',
	'result is off by one. <@0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a01> said to check `range(n)` & the > case.',
	'',
	'- first step: read the input',
	'- then: `sum += x` for each line',
	'',
	'> quoted: "is this right?"',
	'',
].join('\n');

/** Inputs by name, each a function of the length. The first is the benign reference. */
const fill = (unit: string) => (length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
const INPUTS: Record<string, (length: number) => string> = {
	'benign markdown': fill(BENIGN_UNIT),
	// The shape that made the earlier sanitiser rescan the rest of the body from every line.
	'"[\\n" repeated': fill('[\n'),
	'"[" and no "]"': (length) => `[${'a'.repeat(length - 1)}`,
	'"](" repeated': fill(']('),
	'"]: " repeated': fill(']: '),
	'"](" and long destinations': fill(`](${'javascript'.repeat(20)}`),
	'"&amp;" repeated': fill('&amp;'),
	'"&amp;" and long names': fill(`&amp;${'a'.repeat(40)}`),
	'"<a " repeated': fill('<a '),
	'"<@" repeated': fill('<@'),
	'spaces after "]("': (length) => `](${' '.repeat(length - 3)}x`,
};

function msPerBody(body: string): number {
	for (let i = 0; i < BATCH; i++) neutraliseMarkdown(body);
	const batches: number[] = [];
	for (let b = 0; b < BATCHES; b++) {
		const started = performance.now();
		for (let i = 0; i < BATCH; i++) neutraliseMarkdown(body);
		batches.push((performance.now() - started) / BATCH);
	}
	return Math.min(...batches);
}

const rows = Object.entries(INPUTS).map(([name, build]) => {
	const half = msPerBody(build(LENGTH / 2));
	const ms = msPerBody(build(LENGTH));
	return { name, ms, growth: ms / half };
});
const benignMs = rows[0]!.ms;

console.log(
	`Sanitising one body of ${LENGTH.toLocaleString('en')} characters (fastest of ${BATCHES} batches of ${BATCH}), Node ${process.version}\n`,
);
console.log(`| input | ms per body | × benign | growth ${(LENGTH / 2).toLocaleString('en')} → ${LENGTH.toLocaleString('en')} chars |`);
console.log('| --- | --- | --- | --- |');
for (const row of rows)
	console.log(`| ${row.name} | ${row.ms.toFixed(3)} | ${(row.ms / benignMs).toFixed(2)} | ${row.growth.toFixed(2)} |`);
const hostile = rows.slice(1);
console.log(
	`\nHostile inputs: at most ${Math.max(...hostile.map((r) => r.ms / benignMs)).toFixed(2)}× benign; growth at most ${Math.max(...hostile.map((r) => r.growth)).toFixed(2)} when the length doubles.`,
);
