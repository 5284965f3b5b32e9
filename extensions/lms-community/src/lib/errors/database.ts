/**
 * A write refused by a unique index, as the drivers report it (Directus translates these for its services;
 * the bundle's own statements see the driver's error): PostgreSQL's SQLSTATE 23505, SQLite's constraint error.
 */
export function isUniqueViolation(error: unknown): boolean {
	const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
	if (code === '23505') return true;
	return code === 'SQLITE_CONSTRAINT' && typeof message === 'string' && message.includes('UNIQUE');
}
