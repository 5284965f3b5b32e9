import type { Knex } from 'knex';
import { assetIdsIn, mentions, scrubMentions } from '../domain/privacy.js';
import { ForbiddenError } from '../errors/index.js';
import type { SignedInCaller } from '../rules/caller.js';
import { nowIso } from '../rules/clock.js';
import { useBus } from '../realtime/use-realtime.js';
import { lockMessagesThenGroups, retryingDeadlocks } from './change-locks.js';
import type { CommunityContext } from './context.js';
import { recountReactions, recountReplies } from './counters.js';
import { refreshMemberCount } from './membership.js';
import { PERSON_DATA, personRows, type Person } from './person-data.js';
import { pseudonymFor, pseudonymsOf, recordPrivacyAction } from './privacy-log.js';

export interface ErasureResult {
	subject: string;
	/** What the person's kept (blank) rows show instead of their name. */
	pseudonym: string;
	counts: Record<string, number>;
	/** The `community_privacy_log` row recording it. */
	log: number;
}

/** Text columns where other people may have mentioned the person (`<@id>`). */
const MENTION_COLUMNS = {
	community_posts: ['title', 'body', 'moderation_note'],
	community_messages: ['body'],
	community_reports: ['note', 'resolution_note'],
} as const;

/** Collections whose Directus revisions may hold the erased text (those with activity tracking). */
const REVISION_COLLECTIONS = ['community_posts', 'community_messages', 'community_reports'] as const;

const CHUNK = 500;
const chunks = <T>(list: T[]): T[][] =>
	Array.from({ length: Math.ceil(list.length / CHUNK) }, (_, i) => list.slice(i * CHUNK, (i + 1) * CHUNK));
const idsOf = (rows: Array<{ id: number | string }>) => rows.map((row) => Number(row.id));

async function updateIds(trx: Knex, table: string, ids: number[], values: Record<string, unknown>): Promise<void> {
	for (const part of chunks(ids)) await trx(table).whereIn('id', part).update(values);
}

/** Replaces mentions of the person in every other text, row by row; answers the ids changed per table. */
async function scrubMentionsEverywhere(trx: Knex, userId: string, label: string): Promise<Record<string, number[]>> {
	const changed: Record<string, number[]> = {};
	const needle = `%<@${userId.toLowerCase()}>%`;
	for (const [table, columns] of Object.entries(MENTION_COLUMNS)) {
		const rows: Array<Record<string, any>> = await trx(table)
			.select('id', ...columns)
			.where((where) => {
				for (const column of columns) where.orWhereRaw('LOWER(??) LIKE ?', [column, needle]);
			});
		for (const row of rows) {
			const update = Object.fromEntries(
				columns.filter((column) => mentions(row[column], userId)).map((column) => [column, scrubMentions(row[column], userId, label)]),
			);
			await trx(table).where({ id: row['id'] }).update(update);
		}
		changed[table] = idsOf(rows as Array<{ id: number }>);
	}
	return changed;
}

/**
 * Directus keeps every tracked write's row in `directus_revisions`: the revisions of erased rows go, and
 * mentions of the person are scrubbed from the others (as JSON text, the same on every database).
 */
async function scrubRevisions(trx: Knex, erased: Record<string, number[]>, userId: string, label: string): Promise<number> {
	let removed = 0;
	for (const [collection, ids] of Object.entries(erased)) {
		for (const part of chunks(ids.map(String)))
			removed += await trx('directus_revisions').where({ collection }).whereIn('item', part).delete();
	}
	const needle = `%<@${userId.toLowerCase()}>%`;
	const mentioning: Array<{ id: number; data: unknown; delta: unknown }> = await trx('directus_revisions')
		.select('id', 'data', 'delta')
		.whereIn('collection', REVISION_COLLECTIONS)
		.where((where) =>
			where.whereRaw('LOWER(CAST(?? AS TEXT)) LIKE ?', ['data', needle]).orWhereRaw('LOWER(CAST(?? AS TEXT)) LIKE ?', ['delta', needle]),
		);
	const asText = (value: unknown) => (value === null || typeof value === 'string' ? value : JSON.stringify(value));
	for (const revision of mentioning) {
		const [data, delta] = [asText(revision.data), asText(revision.delta)];
		await trx('directus_revisions')
			.where({ id: revision.id })
			.update({ data: data && scrubMentions(data, userId, label), delta: delta && scrubMentions(delta, userId, label) });
	}
	return removed;
}

/**
 * POST /community/users/:id/erase (admins): the right to be forgotten. In one transaction the person's posts
 * and messages keep their place (thread structure, `seq`) but lose their text, title, client ids and author;
 * their reactions, views, memberships, read markers and notifications go; their reports stay without
 * reporter or note; mentions of them and their attached files are scrubbed; counters are recounted; the
 * privacy log records who erased what and when. Live clients get the same events as for a delete.
 */
export async function eraseUser(context: CommunityContext, caller: SignedInCaller, userId: string): Promise<ErasureResult> {
	if (!caller.admin) throw new ForbiddenError();
	const knex = context.database;
	const person: Person = { userId, pseudonyms: await pseudonymsOf(knex, userId) };

	const outcome = await retryingDeadlocks(() =>
		knex.transaction(async (trx) => {
			const pseudonym = await pseudonymFor(trx, userId);
			const messages: Array<{ id: number; body: string }> = await personRows(trx, PERSON_DATA.messages, person)
				.select('id', 'body')
				.orderBy('id');
			const posts: Array<{ id: number; body: string; parent: number | null }> = await personRows(trx, PERSON_DATA.posts, person)
				.select('id', 'body', 'parent')
				.orderBy('id');
			const attachments = [...new Set([...messages, ...posts].flatMap((row) => assetIdsIn(row.body)))];
			const messageIds = idsOf(messages);
			const postIds = idsOf(posts);
			// Every message this erasure changes (theirs, those they reacted to, those mentioning them), then the groups.
			const needle = `%<@${userId.toLowerCase()}>%`;
			await lockMessagesThenGroups(
				trx,
				trx('community_messages').where((where) =>
					where
						.whereIn('id', trx('community_message_reactions').select('message').where({ user: userId }))
						.orWhereRaw('LOWER(??) LIKE ?', ['body', needle])
						.orWhereIn('id', personRows(trx, PERSON_DATA.messages, person).select('id')),
				),
				'update',
			);

			await updateIds(trx, 'community_messages', messageIds, {
				body: '',
				sender: null,
				sender_pseudonym: pseudonym,
				client_id: null,
				deleted_at: trx.raw('COALESCE(??, ?)', ['deleted_at', nowIso()]),
			});
			await updateIds(trx, 'community_posts', postIds, {
				title: null,
				body: '',
				status: 'deleted',
				author: null,
				author_pseudonym: pseudonym,
			});
			await recountReplies(
				trx,
				posts.flatMap((post) => (post.parent === null ? [] : [Number(post.parent)])),
			);

			const reports = idsOf(await personRows(trx, PERSON_DATA.reports, person).select('id'));
			await updateIds(trx, 'community_reports', reports, { reporter: null, note: null });
			// A reporter's note may quote what was erased.
			const aboutErased: number[] = [];
			for (const part of chunks(postIds)) aboutErased.push(...idsOf(await trx('community_reports').select('id').whereIn('post', part)));
			for (const part of chunks(messageIds))
				aboutErased.push(...idsOf(await trx('community_reports').select('id').whereIn('message', part)));
			await updateIds(trx, 'community_reports', aboutErased, { note: null });

			const mentioned = await scrubMentionsEverywhere(trx, userId, pseudonym);

			const reacted: Array<{ post: number }> = await trx('community_post_reactions').distinct('post').where({ user: userId });
			const reactions = await personRows(trx, PERSON_DATA.reactions, person).delete();
			await recountReactions(
				trx,
				reacted.map((row) => Number(row.post)),
			);
			const memberships: Array<{ group: number; user: string; status: string }> = await trx('community_members')
				.select('group', 'user', 'status')
				.where({ user: userId });
			await personRows(trx, PERSON_DATA.memberships, person).delete();
			for (const m of memberships) if (m.status === 'active' || m.status === 'muted') await refreshMemberCount(trx, Number(m.group));

			const counts = {
				messages_erased: messageIds.length,
				posts_erased: postIds.length,
				reports_anonymised: reports.length,
				report_notes_removed: aboutErased.length,
				mentions_scrubbed: Object.values(mentioned).reduce((sum, ids) => sum + ids.length, 0),
				reactions_removed: reactions,
				// Their messages' change cursor moves with each (setup/change-cursor.ts): clients drop the reactions on sync.
				message_reactions_removed: await personRows(trx, PERSON_DATA.message_reactions, person).delete(),
				post_views_removed: await personRows(trx, PERSON_DATA.post_views, person).delete(),
				memberships_removed: memberships.length,
				read_markers_removed: await personRows(trx, PERSON_DATA.read_markers, person).delete(),
				// Push tokens, e-mail settings and suppressions, and the outbox rows (docs/notifications.md).
				delivery_records_removed:
					(await trx('community_deliveries').where({ recipient: userId }).delete()) +
					(await trx('community_devices').where({ user: userId }).delete()) +
					(await trx('community_notification_settings').where({ user: userId }).delete()),
				notifications_removed: await personRows(trx, PERSON_DATA.notifications, person).delete(),
				notifications_anonymised: await trx('community_notifications').where({ actor: userId }).update({ actor: null }),
				moderation_records_anonymised:
					(await trx('community_posts').where({ moderated_by: userId }).update({ moderated_by: null })) +
					(await trx('community_reports').where({ resolved_by: userId }).update({ resolved_by: null })),
				revisions_removed: await scrubRevisions(
					trx,
					{ community_posts: postIds, community_messages: messageIds, community_reports: [...reports, ...aboutErased] },
					userId,
					pseudonym,
				),
				attachments_removed:
					attachments.length === 0
						? 0
						: (await trx('directus_files').whereIn('id', attachments).where({ uploaded_by: userId }).select('id')).length,
			};
			const log = await recordPrivacyAction(trx, { action: 'erase', subject: userId, actor: caller.userId, counts, detail: { pseudonym } });
			return { pseudonym, counts, log, attachments, memberships, changedMessages: [...messageIds, ...mentioned['community_messages']!] };
		}),
	);

	await removeAttachmentsAsSystem(context, outcome.attachments, userId);
	const bus = useBus();
	if (bus) {
		for (const id of outcome.changedMessages) await bus.messageChanged(id);
		await bus.membershipsRemoved(
			outcome.memberships.map((m) => ({ group: Number(m.group), user: m.user })),
			'erased',
		);
	}
	return { subject: userId, pseudonym: outcome.pseudonym, counts: outcome.counts, log: outcome.log };
}

/** The files the person attached (uploaded by them, linked from what was erased), storage included. */
async function removeAttachmentsAsSystem(context: CommunityContext, ids: string[], userId: string): Promise<void> {
	if (ids.length === 0) return;
	const own: Array<{ id: string }> = await context
		.database('directus_files')
		.select('id')
		.whereIn('id', ids)
		.where({ uploaded_by: userId });
	if (own.length === 0) return;
	const filesAsSystem = new context.services.FilesService({
		knex: context.database,
		schema: await context.getSchema(),
		accountability: null,
	});
	await filesAsSystem.deleteMany(own.map((file) => file.id));
}
