import type { Knex } from 'knex';
import { csvRow, shortenedToken } from '../domain/privacy.js';
import { ForbiddenError } from '../errors/index.js';
import type { SignedInCaller } from '../rules/caller.js';
import { nowIso, timeOf } from '../rules/clock.js';
import { flag } from '../rules/facts.js';
import { EXPORT_KINDS, type ExportQuery } from '../rules/schemas.js';
import { PERSON_DATA, personRows, type Person, type PersonDataKindName } from './person-data.js';
import { pseudonymsOf, recordPrivacyAction } from './privacy-log.js';

/** Where an export is written: an HTTP response, chunk by chunk. */
export interface ExportSink {
	write(chunk: string): Promise<void>;
}

export interface ExportPlan {
	contentType: string;
	filename: string;
	/** Streams the export into the sink, then records it in the privacy log. */
	run(sink: ExportSink): Promise<void>;
}

const PAGE = 500;
const TIMESTAMPS = new Set([
	'joined_at',
	'date_created',
	'date_updated',
	'moderated_at',
	'last_activity_at',
	'edited_at',
	'deleted_at',
	'hidden_at',
	'resolved_at',
	'read_at',
	'sent_at',
	'suppressed_at',
]);
/** The outbox's clock columns, epoch milliseconds (a string from PostgreSQL's bigint). */
const EPOCH_MS = new Set(['due_at', 'finished_at']);
const NUMBERS = new Set([
	'id',
	'group',
	'parent',
	'post',
	'message',
	'seq',
	'reply_to',
	'last_read_message',
	'last_read_seq',
	'unread_after_seq',
	'view_count',
	'reply_count',
	'notification',
	'device',
	'attempts',
]);
const FLAGS = new Set(['pinned', 'locked']);
const JSON_FIELDS = new Set(['reaction_counts', 'data', 'settings']);

/** A stored value as the export shows it, whatever the database driver returned. */
function exported(column: string, value: unknown): unknown {
	if (value === null || value === undefined) return null;
	if (TIMESTAMPS.has(column)) {
		const time = timeOf(value);
		return time === null ? null : new Date(time).toISOString();
	}
	if (EPOCH_MS.has(column)) return new Date(Number(value)).toISOString();
	// A push token is an address for the device: the export names the device without handing the address on.
	if (column === 'token') return shortenedToken(String(value));
	if (NUMBERS.has(column)) return Number(value);
	if (FLAGS.has(column)) return flag(value as boolean | number);
	if (JSON_FIELDS.has(column) && typeof value === 'string') return JSON.parse(value);
	return value;
}

/** The person's rows of one kind, page by page (keyset on id), in the export's form. */
async function* pages(knex: Knex, name: PersonDataKindName, person: Person): AsyncGenerator<Array<Record<string, unknown>>> {
	const kind = PERSON_DATA[name];
	let after = 0;
	for (;;) {
		const rows: Array<Record<string, unknown>> = await personRows(knex, kind, person)
			.select(...kind.columns)
			.where('id', '>', after)
			.orderBy('id')
			.limit(PAGE);
		if (rows.length === 0) return;
		yield rows.map((row) => Object.fromEntries(kind.columns.map((column) => [column, exported(column, row[column])])));
		after = Number(rows.at(-1)!['id']);
		if (rows.length < PAGE) return;
	}
}

/**
 * GET /community/users/:id/export (admins, and the person themself): everything the community holds about one
 * person, as JSON (every kind) or CSV (one kind), streamed page by page. Read as the system once the caller is
 * known to be allowed: only the person's own rows, and only their own fields (docs/privacy.md lists them).
 */
export async function planExport(knex: Knex, caller: SignedInCaller, userId: string, query: ExportQuery): Promise<ExportPlan> {
	if (!caller.admin && caller.userId !== userId) throw new ForbiddenError();
	const person: Person = { userId, pseudonyms: await pseudonymsOf(knex, userId) };
	const kinds = query.kind ? [query.kind] : EXPORT_KINDS;
	const counts: Record<string, number> = {};
	const record = () =>
		recordPrivacyAction(knex, { action: 'export', subject: userId, actor: caller.userId, counts, detail: { format: query.format, kinds } });

	if (query.format === 'csv') {
		const kind = query.kind!;
		return {
			contentType: 'text/csv; charset=utf-8',
			filename: `community-${kind}-${userId}.csv`,
			async run(sink) {
				await sink.write(csvRow([...PERSON_DATA[kind].columns]));
				let count = 0;
				for await (const rows of pages(knex, kind, person)) {
					await sink.write(rows.map((row) => csvRow(Object.values(row))).join(''));
					count += rows.length;
				}
				counts[kind] = count;
				await record();
			},
		};
	}

	return {
		contentType: 'application/json; charset=utf-8',
		filename: `community-${query.kind ?? 'all'}-${userId}.json`,
		async run(sink) {
			const profile = await knex('directus_users').select('id', 'first_name', 'last_name', 'email').where({ id: userId }).first();
			const head = { subject: userId, generated_at: nowIso(), person: profile ?? null, pseudonyms: person.pseudonyms };
			await sink.write(`{"data":${JSON.stringify(head).slice(0, -1)}`);
			for (const kind of kinds) {
				let count = 0;
				await sink.write(`,${JSON.stringify(kind)}:[`);
				for await (const rows of pages(knex, kind, person)) {
					await sink.write((count > 0 ? ',' : '') + rows.map((row) => JSON.stringify(row)).join(','));
					count += rows.length;
				}
				await sink.write(']');
				counts[kind] = count;
			}
			await sink.write('}}');
			await record();
		},
	};
}
