import type { Accountability } from '@directus/types';
import { messageUpdateAfter, outcomeOf, postStatusAfter, reachesHideThreshold } from '../domain/reports.js';
import { AlreadyReportedError, ForbiddenError, InvalidStateError, isDirectusError } from '../errors/index.js';
import { nowIso } from '../rules/clock.js';
import { assertInstructor, assertModerator, facts, type MemberRow, type ReportRow } from '../rules/facts.js';
import { notifyAsSystem } from '../rules/notifications.js';
import type { ReportCreateInput, ReportResolveInput } from '../rules/schemas.js';
import { loadVisibleReport } from '../rules/visibility.js';
import { transactionWithActionsAfterCommit } from './after-commit.js';
import type { CommunityContext } from './context.js';

/** The item a report is about, as a filter on `community_reports`. */
const targetOf = (report: Pick<ReportRow, 'post' | 'message'>) =>
	report.post !== null && report.post !== undefined ? { post: Number(report.post) } : { message: Number(report.message) };

/**
 * POST /community/reports and the socket's `message:report`: creates the report through ItemsService with the
 * caller's accountability, so the rule hook (report-rules.ts) decides. Two racing reports of one person on one
 * item meet the partial unique index; the loser gets the same 409 as a plain duplicate.
 */
export async function createReport(
	context: CommunityContext,
	accountability: Accountability,
	input: ReportCreateInput,
): Promise<ReportRow> {
	const reports = new context.services.ItemsService('community_reports', { schema: await context.getSchema(), accountability });
	try {
		const id = await reports.createOne({ ...input });
		return (await facts.report(context.database, Number(id)))!;
	} catch (error) {
		if (isDirectusError(error) && error.code === 'RECORD_NOT_UNIQUE') throw new AlreadyReportedError();
		throw error;
	}
}

async function moderatorsOf(context: CommunityContext, group: number): Promise<string[]> {
	const rows: Array<{ user: string }> = await context
		.database('community_members')
		.select('user')
		.where({ group, status: 'active' })
		.whereIn('role', ['instructor', 'moderator']);
	return rows.map((row) => row.user);
}

/**
 * After any report is created (REST, socket, admin app): hides the item once the group's threshold of open
 * reports is reached, and tells the group's moderators (`report_new`, pushed live by the socket server).
 */
export async function afterReportCreated(context: CommunityContext, key: number | string): Promise<void> {
	const knex = context.database;
	const report = await facts.report(knex, Number(key));
	if (!report || report.status !== 'open') return;
	const group = await facts.group(knex, report.group);
	if (!group) return;
	const [row] = await knex('community_reports')
		.where({ status: 'open', ...targetOf(report) })
		.count({ count: '*' });
	const openReports = Number(row?.['count'] ?? 0);
	const hidden = reachesHideThreshold(openReports, Number(group.report_threshold ?? 0)) && (await hideAsSystem(context, report));
	await notifyAsSystem(
		context,
		knex,
		(await moderatorsOf(context, report.group)).map((recipient) => ({
			recipient,
			actor: report.reporter,
			group: report.group,
			type: 'report_new' as const,
			post: report.post,
			message: report.message,
			data: { report: report.id, reason: report.reason, open_reports: openReports, hidden },
		})),
	);
}

/** Hides a published post or a visible message pending review; false when it already was (or is gone). */
async function hideAsSystem(context: CommunityContext, report: ReportRow): Promise<boolean> {
	return transactionWithActionsAfterCommit(context, async (trx, emitAfterCommit) => {
		const asSystem = async (collection: string) =>
			new context.services.ItemsService(collection, {
				knex: trx,
				schema: await context.getSchema({ database: trx }),
				accountability: null,
			});
		if (report.post !== null) {
			const post = await trx('community_posts').where({ id: report.post }).forUpdate().first();
			if (post?.status !== 'published') return false;
			await (await asSystem('community_posts')).updateOne(post.id, { status: 'hidden', moderated_at: nowIso() }, emitAfterCommit);
			return true;
		}
		// NO KEY UPDATE, not UPDATE: a reply or reaction being stored meanwhile holds KEY SHARE on the message and the
		// group's change lock (setup/change-cursor.ts); waiting for each other crosswise would deadlock.
		const message = await trx('community_messages').where({ id: report.message }).forNoKeyUpdate().first();
		if (!message || message.hidden_at || message.deleted_at) return false;
		await (await asSystem('community_messages')).updateOne(message.id, { hidden_at: nowIso() }, emitAfterCommit);
		return true;
	});
}

export interface ReportResolution {
	report: ReportRow;
	/** Every open report on the item was settled by the one decision. */
	resolved_reports: number[];
}

/**
 * POST /community/reports/:id/resolve: the group's moderators decide once for the item (keep, hide or delete
 * it) and every open report on it is settled with who, when and why. Muting or banning the author is the
 * instructors'. Everything is one transaction; reporters are told the outcome afterwards.
 */
export async function resolveReport(
	context: CommunityContext,
	accountability: Accountability,
	caller: { userId: string; admin: boolean },
	reportId: number,
	input: ReportResolveInput,
): Promise<ReportResolution> {
	const knex = context.database;
	const { row: report, context: member } = await loadVisibleReport(knex, reportId, caller.userId, caller.admin);
	assertModerator(member);

	const outcome = outcomeOf(input.action, input.author);
	const item = report.post !== null ? await facts.post(knex, report.post) : await facts.message(knex, Number(report.message));
	if (!item) throw new ForbiddenError();
	const author = 'author' in item ? item.author : item.sender;
	let authorMembership: MemberRow | undefined;
	if (outcome.memberStatus) {
		assertInstructor(member);
		authorMembership = author ? await facts.member(knex, report.group, author) : undefined;
		if (!authorMembership || author === caller.userId || authorMembership.role === 'instructor')
			throw new InvalidStateError({ reason: 'The author is not a member whose status an instructor can change.' });
		if (!['active', 'muted', 'banned'].includes(authorMembership.status))
			throw new InvalidStateError({ reason: `The author's membership is ${authorMembership.status}.` });
	}

	const note = input.note || null;
	const settled = await transactionWithActionsAfterCommit(context, async (trx, emitAfterCommit) => {
		const current = await trx('community_reports').where({ id: reportId }).forUpdate().first();
		if (current.status !== 'open') return null;
		const schema = await context.getSchema({ database: trx });
		const asSystem = (collection: string) => new context.services.ItemsService(collection, { knex: trx, schema, accountability: null });
		// The rules above decided; this writes as the system but records the moderator in Directus's activity log.
		const reportsAsSystemAuditedAsCaller = new context.services.ItemsService('community_reports', {
			knex: trx,
			schema,
			accountability: { ...accountability, admin: true },
		});
		const now = nowIso();

		if (report.post !== null) {
			const post = await trx('community_posts').where({ id: report.post }).forUpdate().first();
			const next = postStatusAfter(post.status, input.action);
			if (next !== post.status)
				await asSystem('community_posts').updateOne(
					post.id,
					{
						status: next,
						moderated_by: caller.userId,
						moderated_at: now,
						moderation_note: note,
					},
					emitAfterCommit,
				);
		} else {
			const message = await trx('community_messages').where({ id: report.message }).forNoKeyUpdate().first();
			const update = messageUpdateAfter(message, input.action, now);
			if (update) await asSystem('community_messages').updateOne(message.id, update, emitAfterCommit);
		}

		const open: Array<{ id: number; reporter: string }> = await trx('community_reports')
			.select('id', 'reporter')
			.where({ status: 'open', ...targetOf(report) });
		await reportsAsSystemAuditedAsCaller.updateMany(
			open.map((row) => row.id),
			{
				status: outcome.status,
				resolution: outcome.resolution,
				author_action: outcome.author_action,
				resolved_by: caller.userId,
				resolved_at: now,
				resolution_note: note,
			},
			// Every open report on the item, however many people reported it: not a client's batch.
			{ ...emitAfterCommit, bypassLimits: true },
		);
		if (authorMembership && outcome.memberStatus && authorMembership.status !== outcome.memberStatus)
			await asSystem('community_members').updateOne(authorMembership.id, { status: outcome.memberStatus }, emitAfterCommit);
		return open;
	});
	if (!settled) throw new InvalidStateError({ reason: `This report is already ${(await facts.report(knex, reportId))?.status}.` });

	await notifyAsSystem(
		context,
		knex,
		settled.map((row) => ({
			recipient: row.reporter,
			actor: caller.userId,
			group: report.group,
			type: 'report_resolved' as const,
			post: report.post,
			message: report.message,
			data: { report: row.id, resolution: outcome.resolution },
		})),
	);
	return { report: (await facts.report(knex, reportId))!, resolved_reports: settled.map((row) => Number(row.id)) };
}
