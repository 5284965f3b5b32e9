import type { Knex } from 'knex';
import { isPostgres } from './search-index.js';

/**
 * The change cursor's triggers, made by `directus community setup` (a snapshot cannot hold them). Every change
 * to a chat message after its creation (edit, deletion, hiding, anonymising, a `sender` emptied by an account
 * deletion) and every reaction added or removed takes the next number of the message's group
 * (`community_groups.last_change_seq`) into `community_messages.change_seq`, in the transaction of the change,
 * whatever path made it: Directus's items, the bundle's bulk SQL, a foreign key's cascade. Creation is numbered
 * by the send paths themselves, in the UPDATE that takes the message's `seq` (rules/message-send.ts).
 *
 * On PostgreSQL the number comes from `UPDATE community_groups … RETURNING`, so the group's row stays locked
 * until commit and commit order is change order, as for `seq`. Locks are taken message first, then group, on
 * every path (an UPDATE locks its row before its triggers run; the reaction trigger locks the message itself;
 * bulk paths lock all their messages, then their groups, first: community/change-locks.ts), so two changes never
 * wait for each other crosswise. `change_seq` is in no unique index (setup/indexes.ts):
 * its updates keep the weaker row lock that foreign-key checks do not conflict with.
 */

/** The columns a client's copy of a message holds (realtime/wire.ts): a change to any of them is a change. */
const TRACKED = ['body', 'sender', 'sender_pseudonym', 'reply_to', 'edited_at', 'deleted_at', 'hidden_at'] as const;

export async function ensureChangeCursor(knex: Knex, options: { onlyIfMissing?: boolean } = {}): Promise<string[]> {
	if (!(await knex.schema.hasTable('community_message_reactions')) || !(await knex.schema.hasColumn('community_messages', 'change_seq')))
		return [];
	// At server start (every instance, every start) triggers already in place are left alone: no DDL, no gap.
	if (!options.onlyIfMissing || !(await triggersPresent(knex))) {
		// PostgreSQL's DDL is transactional: the triggers are replaced with no moment without them.
		if (isPostgres(knex)) await knex.transaction((trx) => ensurePostgresTriggers(trx));
		else await ensureSqliteTriggers(knex);
	}
	await numberUnnumberedMessages(knex);
	return ['change cursor: triggers on community_messages and community_message_reactions'];
}

const POSTGRES_TRIGGERS = ['community_messages_change', 'community_message_reactions_change'] as const;

async function triggersPresent(knex: Knex): Promise<boolean> {
	const expected: readonly string[] = isPostgres(knex) ? POSTGRES_TRIGGERS : SQLITE_TRIGGERS;
	const rows: Array<{ name: string }> = isPostgres(knex)
		? await knex('pg_trigger').whereIn('tgname', expected).select({ name: 'tgname' })
		: await knex('sqlite_master').where('type', 'trigger').whereIn('name', expected).select('name');
	return new Set(rows.map((row) => row.name)).size === expected.length;
}

async function ensurePostgresTriggers(knex: Knex): Promise<void> {
	const columns = TRACKED.map((c) => `"${c}"`);
	await knex.raw(`CREATE OR REPLACE FUNCTION public.community_message_changed() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			UPDATE public.community_groups SET last_change_seq = last_change_seq + 1 WHERE id = NEW."group" RETURNING last_change_seq INTO NEW.change_seq;
			RETURN NEW;
		END $$`);
	await knex.raw('DROP TRIGGER IF EXISTS community_messages_change ON public.community_messages');
	await knex.raw(`CREATE TRIGGER community_messages_change BEFORE UPDATE OF ${columns.join(', ')} ON public.community_messages
		FOR EACH ROW WHEN ((${columns.map((c) => `OLD.${c}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `NEW.${c}`).join(', ')}))
		EXECUTE FUNCTION public.community_message_changed()`);
	await knex.raw(`CREATE OR REPLACE FUNCTION public.community_message_reacted() RETURNS trigger LANGUAGE plpgsql AS $$
		DECLARE
			target integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.message ELSE NEW.message END;
			owner integer;
			next bigint;
		BEGIN
			-- A message deleted with its reactions (a cascade) has nothing left to number.
			SELECT "group" INTO owner FROM public.community_messages WHERE id = target FOR NO KEY UPDATE;
			IF owner IS NULL THEN RETURN NULL; END IF;
			UPDATE public.community_groups SET last_change_seq = last_change_seq + 1 WHERE id = owner RETURNING last_change_seq INTO next;
			UPDATE public.community_messages SET change_seq = next WHERE id = target;
			RETURN NULL;
		END $$`);
	await knex.raw('DROP TRIGGER IF EXISTS community_message_reactions_change ON public.community_message_reactions');
	await knex.raw(`CREATE TRIGGER community_message_reactions_change AFTER INSERT OR DELETE ON public.community_message_reactions
		FOR EACH ROW EXECUTE FUNCTION public.community_message_reacted()`);
}

const SQLITE_TRIGGERS = ['community_messages_change', 'community_message_reactions_insert', 'community_message_reactions_delete'] as const;

/**
 * SQLite rebuilds a table for most schema changes (a new table, the rows copied, the old one dropped, the new one
 * renamed into place), and the rename fails while a trigger of another table names the table being rebuilt. These
 * triggers name `community_groups` and `community_messages`, so they step aside for schema changes (the hook around
 * the admin app's schema routes, the setup around its snapshot) and ensureChangeCursor puts them back.
 */
export async function dropChangeCursorTriggers(knex: Knex): Promise<void> {
	if (isPostgres(knex)) return;
	for (const name of SQLITE_TRIGGERS) await knex.raw(`DROP TRIGGER IF EXISTS ${name}`);
}

/** SQLite has one writer at a time: the numbers are ordered by that alone. */
async function ensureSqliteTriggers(knex: Knex): Promise<void> {
	const numberMessage = (row: string) => `
		UPDATE community_groups SET last_change_seq = last_change_seq + 1 WHERE id = (SELECT "group" FROM community_messages WHERE id = ${row});
		UPDATE community_messages SET change_seq = (SELECT g.last_change_seq FROM community_groups g WHERE g.id = community_messages."group") WHERE id = ${row};`;
	const changed = TRACKED.map((c) => `OLD."${c}" IS NOT NEW."${c}"`).join(' OR ');
	const triggers: Record<(typeof SQLITE_TRIGGERS)[number], string> = {
		community_messages_change: `AFTER UPDATE OF ${TRACKED.map((c) => `"${c}"`).join(', ')} ON community_messages WHEN ${changed}
			BEGIN ${numberMessage('NEW.id')} END`,
		community_message_reactions_insert: `AFTER INSERT ON community_message_reactions BEGIN ${numberMessage('NEW.message')} END`,
		community_message_reactions_delete: `AFTER DELETE ON community_message_reactions BEGIN ${numberMessage('OLD.message')} END`,
	};
	// In one transaction: two schema changes finishing together put them back one after the other.
	await knex.transaction(async (trx) => {
		for (const [name, body] of Object.entries(triggers)) {
			await trx.raw(`DROP TRIGGER IF EXISTS ${name}`);
			await trx.raw(`CREATE TRIGGER ${name} ${body}`);
		}
	});
}

/**
 * Messages stored before the change cursor existed take the next numbers of their group, in `seq` order: above
 * every cursor a client holds, never a number already given (their `seq` could be either).
 * Locks in the triggers' order: the messages first, then the group.
 */
async function numberUnnumberedMessages(knex: Knex): Promise<void> {
	const groups: Array<{ group: number }> = await knex('community_messages').whereNull('change_seq').distinct('group');
	for (const { group } of groups) {
		await knex.transaction(async (trx) => {
			const unnumbered = trx('community_messages')
				.where('group', group)
				.whereNull('change_seq')
				.orderBy([{ column: 'seq' }, { column: 'id' }]);
			const ids: number[] = (await (isPostgres(trx) ? unnumbered.forUpdate() : unnumbered).select('id')).map(
				(row: { id: number }) => row.id,
			);
			if (ids.length === 0) return;
			await trx('community_groups').where('id', group).increment('last_change_seq', ids.length);
			const last = Number((await trx('community_groups').where('id', group).first('last_change_seq'))?.last_change_seq);
			const first = last - ids.length + 1;
			for (const [i, id] of ids.entries())
				await trx('community_messages')
					.where('id', id)
					.update({ change_seq: first + i });
		});
	}
}
