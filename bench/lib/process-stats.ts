import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports process CPU time in clock ticks; 100 per second on every x86-64 and arm64 kernel in practice. */
const TICKS_PER_SECOND = 100;

export interface ProcessSample {
	at: number;
	cpuMs: number;
	rssMb: number;
}

/** CPU time and resident memory of a process, from /proc (the server under test, or the load generator). */
export function sampleProcess(pid: number): ProcessSample {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	// Fields after the command name (which may hold spaces) start at state; utime and stime are fields 14 and 15.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const cpuTicks = Number(fields[11]) + Number(fields[12]);
	const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
	return { at: performance.now(), cpuMs: (cpuTicks * 1000) / TICKS_PER_SECOND, rssMb: rssKb / 1024 };
}

/** Average CPU use between two samples, in percent of one core. */
export function cpuPercent(before: ProcessSample, after: ProcessSample): number {
	const wall = after.at - before.at;
	return wall > 0 ? ((after.cpuMs - before.cpuMs) / wall) * 100 : 0;
}

/**
 * CPU time of every PostgreSQL process on the machine (the database shares the cores with the server and the
 * load generator): utime and stime of each, plus what exited backends left on their parent (cutime, cstime).
 */
export function postgresCpuMs(): number {
	let ticks = 0;
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		let stat: string;
		try {
			stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
		} catch {
			continue;
		}
		if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
	}
	return (ticks * 1000) / TICKS_PER_SECOND;
}
