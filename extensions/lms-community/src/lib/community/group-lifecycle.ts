import type { Accountability, Query } from '@directus/types';
import type { Knex } from 'knex';
import { ForbiddenError, InvalidPayloadError, InvalidStateError } from '../errors/index.js';
import type { SignedInCaller } from '../rules/caller.js';
import { nowIso } from '../rules/clock.js';
import { facts } from '../rules/facts.js';
import type { ArchiveInput, GroupDeleteInput } from '../rules/schemas.js';
import { useBus } from '../realtime/use-realtime.js';
import type { CommunityContext } from './context.js';
import { recordPrivacyAction } from './privacy-log.js';

/**
 * A group's end of life: archived first (read-only for members: GROUP_ARCHIVED on every write and socket
 * send), deleted only by an admin who names the group and is told what goes with it.
 */

function assertAdmin(caller: SignedInCaller): void {
	if (!caller.admin) throw new ForbiddenError();
}

/**
 * POST /community/groups/archive (admins): archives the active groups named by id, by course, or whose course
 * ended before a date (a term). A group without `ends_at` gets today's: retention counts from there.
 */
export async function archiveGroups(
	context: CommunityContext,
	accountability: Accountability,
	caller: SignedInCaller,
	input: ArchiveInput,
): Promise<{ archived: number[] }> {
	assertAdmin(caller);
	const which: Array<Record<string, unknown>> = [];
	if (input.groups) which.push({ id: { _in: input.groups } });
	if (input.courses) which.push({ course: { _in: input.courses } });
	if (input.ended_before) which.push({ ends_at: { _lte: input.ended_before } });
	const archived = await context.database.transaction(async (trx) => {
		// As the admin: Directus's activity log records who archived, and timestamps are written in its format.
		const groups = new context.services.ItemsService('community_groups', {
			knex: trx,
			schema: await context.getSchema({ database: trx }),
			accountability,
		});
		const rows = (await groups.readByQuery({
			filter: { _and: [{ status: { _eq: 'active' } }, { _or: which }] } as Query['filter'],
			fields: ['id', 'ends_at'],
			limit: -1,
		})) as Array<{ id: number; ends_at: unknown }>;
		for (const row of rows) {
			await groups.updateOne(row.id, { status: 'archived', ...(row.ends_at ? {} : { ends_at: nowIso() }) });
			await recordPrivacyAction(trx, { action: 'group_archived', group: Number(row.id), actor: caller.userId, counts: {} });
		}
		return rows.map((row) => Number(row.id));
	});
	return { archived };
}

export interface GroupDeletionPreview {
	group: { id: number; name: string; course: number; status: string };
	/** Rows deleted with the group, per kind (`course_enrollments`: only with `course: true`). */
	removes: Record<string, number>;
	/** Send this as `confirm` to DELETE /community/groups/:id. */
	confirm: string;
}

const confirmationFor = (groupId: number) => `delete group ${groupId}`;

async function countRows(knex: Knex, table: string, where: (query: Knex.QueryBuilder) => void): Promise<number> {
	const query = knex(table).count({ count: '*' });
	where(query);
	return Number((await query.first())?.['count'] ?? 0);
}

async function groupContents(knex: Knex, groupId: number, courseId: number): Promise<Record<string, number>> {
	const inGroup = (query: Knex.QueryBuilder) => void query.where('group', groupId);
	const onPostsOfGroup = (query: Knex.QueryBuilder) =>
		void query.whereIn('post', knex('community_posts').select('id').where('group', groupId));
	return {
		members: await countRows(knex, 'community_members', inGroup),
		posts: await countRows(knex, 'community_posts', inGroup),
		messages: await countRows(knex, 'community_messages', inGroup),
		reactions: await countRows(knex, 'community_post_reactions', onPostsOfGroup),
		post_views: await countRows(knex, 'community_post_views', onPostsOfGroup),
		reports: await countRows(knex, 'community_reports', inGroup),
		notifications: await countRows(knex, 'community_notifications', inGroup),
		read_markers: await countRows(knex, 'community_message_receipts', inGroup),
		course_enrollments: await countRows(knex, 'enrollments', (query) => void query.where('course', courseId)),
	};
}

/** GET /community/groups/:id/deletion (admins): what deleting the group would remove. */
export async function groupDeletionPreview(
	context: CommunityContext,
	caller: SignedInCaller,
	groupId: number,
): Promise<GroupDeletionPreview> {
	assertAdmin(caller);
	const group = await facts.group(context.database, groupId);
	if (!group) throw new ForbiddenError();
	return {
		group: { id: group.id, name: group.name, course: group.course, status: group.status },
		removes: await groupContents(context.database, groupId, group.course),
		confirm: confirmationFor(groupId),
	};
}

/**
 * DELETE /community/groups/:id { confirm, course? } (admins): an archived group, with everything in it (and
 * the course with its enrollments when `course` is true), plus Directus's revisions of its posts, messages and
 * reports. Answers what was removed; the privacy log keeps the counts.
 */
export async function deleteGroup(
	context: CommunityContext,
	caller: SignedInCaller,
	groupId: number,
	input: GroupDeleteInput,
): Promise<{ group: number; course_deleted: boolean; removed: Record<string, number> }> {
	assertAdmin(caller);
	const knex = context.database;
	const group = await facts.group(knex, groupId);
	if (!group) throw new ForbiddenError();
	if (group.status !== 'archived')
		throw new InvalidStateError({
			reason: 'Archive the group first (POST /community/groups/archive): members keep reading until it is deleted.',
		});
	if (input.confirm !== confirmationFor(groupId))
		throw new InvalidPayloadError({ reason: `confirm: send "${confirmationFor(groupId)}" to delete this group and everything in it` });

	const { removed, members } = await knex.transaction(async (trx) => {
		const counts = await groupContents(trx, groupId, group.course);
		if (!input.course) delete counts['course_enrollments'];
		const members: Array<{ group: number; user: string }> = await trx('community_members')
			.select('group', 'user')
			.where({ group: groupId });
		let revisions = 0;
		for (const collection of ['community_posts', 'community_messages', 'community_reports']) {
			revisions += await trx('directus_revisions')
				.where({ collection })
				.whereIn(
					'item',
					trx(collection)
						.select(trx.raw('CAST(?? AS TEXT)', ['id']))
						.where('group', groupId),
				)
				.delete();
		}
		// The explicit action itself: the filter that refuses other deletes of groups and courses is not asked.
		await trx('community_groups').where({ id: groupId }).delete();
		if (input.course) await trx('courses').where({ id: group.course }).delete();
		const removed = { ...counts, revisions };
		await recordPrivacyAction(trx, {
			action: 'group_deleted',
			group: groupId,
			actor: caller.userId,
			counts: removed,
			detail: { course: group.course, course_deleted: !!input.course, deleted_at: nowIso() },
		});
		return { removed, members };
	});
	await useBus()?.membershipsRemoved(members, 'deleted');
	return { group: groupId, course_deleted: !!input.course, removed };
}
