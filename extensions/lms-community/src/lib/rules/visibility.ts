import type { Knex } from 'knex';
import { enrollmentGivesAccess } from '../access/scope.js';
import { ForbiddenError } from '../errors/index.js';
import { mayReadReply } from './reply-gate.js';
import { facts, loadMemberContext, type MemberContext, type MemberRow, type MessageRow, type PostRow, type ReportRow } from './facts.js';

/**
 * What a caller sees of one row, for the write rules and the /community endpoints: the read rules of
 * docs/access.md, which the read guard applies to lists. A row the caller cannot see answers exactly like a
 * row that does not exist (403 FORBIDDEN), before any other check, so another group's ids reveal nothing.
 */

const READING_STATUSES: readonly string[] = ['active', 'muted'];
/** Posts their author still reads besides published ones, and the ones moderators review. */
const AUTHOR_UNPUBLISHED: readonly PostRow['status'][] = ['draft', 'pending', 'rejected', 'hidden'];
const UNDER_REVIEW: readonly PostRow['status'][] = ['pending', 'rejected', 'hidden'];

/** Active and muted members read their group's content; admins read everything. */
export function readsGroup(context: MemberContext): boolean {
	return context.admin || READING_STATUSES.includes(context.member?.status ?? '');
}

/** Published posts; the author's own drafts, pending, rejected and hidden posts; those under review to moderators. Deleted: admins only. */
export function seesPost(context: MemberContext, post: Pick<PostRow, 'author' | 'status'>, userId: string): boolean {
	if (context.admin) return true;
	if (!readsGroup(context)) return false;
	return (
		post.status === 'published' ||
		(post.author === userId && AUTHOR_UNPUBLISHED.includes(post.status)) ||
		(context.moderator && UNDER_REVIEW.includes(post.status))
	);
}

/** Messages of the group; one hidden pending review only to its sender and the group's moderators. */
export function seesMessage(context: MemberContext, message: Pick<MessageRow, 'sender' | 'hidden_at'>, userId: string): boolean {
	return readsGroup(context) && (!message.hidden_at || message.sender === userId || context.moderator);
}

/** Reports: the reporter's own, and all of the groups the caller moderates. */
export function seesReport(context: MemberContext, report: Pick<ReportRow, 'reporter'>, userId: string): boolean {
	return report.reporter === userId || context.moderator;
}

/** Memberships: those of the groups the caller reads. */
export function seesMembership(context: MemberContext): boolean {
	return readsGroup(context);
}

/**
 * A group as the target (posting or chatting in it, its settings, read marker and moderation views): seen
 * by the members who read it and by everyone whose enrollment in its course gives access (to find and join it).
 */
export async function loadVisibleGroup(knex: Knex, groupId: number, userId: string, admin: boolean): Promise<MemberContext> {
	const context = await loadMemberContext(knex, groupId, userId, admin);
	if (readsGroup(context)) return context;
	const enrollment = await facts.enrollment(knex, context.group.course, userId);
	if (!enrollment || !enrollmentGivesAccess(enrollment, new Date())) throw new ForbiddenError();
	return context;
}

export interface Visible<T> {
	row: T;
	context: MemberContext;
}

/** A row of a group and the caller's context there, or 403 FORBIDDEN when it is missing or hidden from them. */
async function visibleRow<T extends { group: number }>(
	knex: Knex,
	row: T | undefined,
	userId: string,
	admin: boolean,
	sees: (context: MemberContext, row: T, userId: string) => boolean,
): Promise<Visible<T>> {
	if (!row) throw new ForbiddenError();
	const context = await loadMemberContext(knex, row.group, userId, admin);
	if (!sees(context, row, userId)) throw new ForbiddenError();
	return { row, context };
}

/** A post, also past "post before you see replies" (a reply the caller may not read yet is answered as missing). */
export async function loadVisiblePost(knex: Knex, id: number, userId: string, admin: boolean): Promise<Visible<PostRow>> {
	const visible = await visibleRow(knex, await facts.post(knex, id), userId, admin, seesPost);
	if (!(await mayReadReply(knex, visible.row, visible.context, userId))) throw new ForbiddenError();
	return visible;
}

export const loadVisibleMessage = async (knex: Knex, id: number, userId: string, admin: boolean) =>
	visibleRow(knex, await facts.message(knex, id), userId, admin, seesMessage);

export const loadVisibleReport = async (knex: Knex, id: number, userId: string, admin: boolean) =>
	visibleRow(knex, await facts.report(knex, id), userId, admin, seesReport);

export const loadVisibleMembership = async (knex: Knex, id: number, userId: string, admin: boolean): Promise<Visible<MemberRow>> =>
	visibleRow(knex, await facts.membership(knex, id), userId, admin, seesMembership);
