/** Timestamps as Directus writes them (ISO strings), and a reader that copes with every driver's format. */
export const nowIso = (): string => new Date().toISOString();

export function timeOf(value: unknown): number | null {
	if (value === null || value === undefined) return null;
	if (value instanceof Date) return value.getTime();
	if (typeof value === 'number') return value;
	if (typeof value !== 'string') return null;
	// SQLite may hand back "YYYY-MM-DD HH:MM:SS" without a zone: Directus stores UTC.
	const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`;
	const time = Date.parse(iso);
	return Number.isNaN(time) ? null : time;
}
