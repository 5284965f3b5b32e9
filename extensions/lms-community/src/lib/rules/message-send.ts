import type { Knex } from 'knex';
import { enrollmentGivesAccess, type EnrollmentFacts } from '../access/scope.js';
import { BatchedReads, batchedReadsPer, rowsPerKey } from '../db/batched-reads.js';
import { compiledStatement } from '../db/prepared.js';
import { isPostgres } from '../setup/search-index.js';
import { LIMITS } from '../domain/limits.js';
import { lockedReason } from '../domain/course-rules.js';
import { ChatDisabledError, ForbiddenError, GroupLockedError, InvalidReferenceError, SlowModeError } from '../errors/index.js';
import { timeOf } from './clock.js';
import { assertCanWrite, flag, memberContextOf, type GroupRow, type MemberContext, type MemberRow, type MessageRow } from './facts.js';
import { requireBody } from './post-rules.js';
import type { NotifyPreference } from './notifications.js';
import { readsGroup, seesMessage } from './visibility.js';

/**
 * The rules of sending a chat message, shared by every path that creates one: Directus's items (REST, the
 * admin app) through the `community_messages.items.create` filter, and the socket's send path. The facts are
 * read in one statement; the decision is pure; `seq` and slow mode are settled under the group's row lock.
 */

export interface SendInput {
	group: number;
	body?: unknown;
	reply_to?: number | null | undefined;
	client_id?: string | null | undefined;
}

/** The replied-to sender's membership in the group: whether and how they are told of the reply. */
export interface ReplyeeMembership {
	status: string;
	notify: NotifyPreference;
}

/** Everything the rules need about one send, as one statement reads it. */
export interface SendFacts {
	group: GroupRow | undefined;
	member: MemberRow | undefined;
	enrollment: Omit<EnrollmentFacts, 'course' | 'role'> | undefined;
	replyTo:
		(Pick<MessageRow, 'group' | 'sender' | 'deleted_at' | 'hidden_at'> & { senderMember: ReplyeeMembership | undefined }) | undefined;
	/** The sender's message with this client_id, if one exists already (a retry). */
	existingId: number | null;
}

export interface SendDecision {
	context: MemberContext;
	body: string;
	/** Seconds between this sender's messages, 0 when slow mode does not apply to them. */
	slowModeSeconds: number;
}

/** A message others may reply to: neither deleted nor hidden pending review. */
const takesReplies = (message: Pick<MessageRow, 'deleted_at' | 'hidden_at'>): boolean => !message.deleted_at && !message.hidden_at;

/**
 * May this member send this message now? Members: an active, unmuted member of an active group with chat on,
 * whose enrollment gives access now; `reply_to` a message of the same group they see, neither deleted nor
 * hidden. Someone who does not read the group and is not enrolled in its course is answered like a missing
 * group (403 FORBIDDEN); an enrolled non-member gets NOT_MEMBER.
 */
export function decideSend(facts: SendFacts, input: SendInput, userId: string, now: Date): SendDecision {
	if (!facts.group) throw new ForbiddenError();
	const context = memberContextOf(facts.group, facts.member, facts.enrollment, false, now);
	if (!readsGroup(context) && !(facts.enrollment && enrollmentGivesAccess(facts.enrollment, now))) throw new ForbiddenError();
	assertCanWrite(context);
	assertChatOpen(context, now);
	const body = requireBody(input.body, LIMITS.messageBody);
	if (input.reply_to) {
		const original = facts.replyTo;
		// Deleted and hidden messages take no replies, not even from their sender or moderators: answered as missing ones.
		if (!original || original.group !== input.group || !seesMessage(context, original, userId) || !takesReplies(original))
			throw new InvalidReferenceError({ reason: 'reply_to: must be a message of the same group' });
	}
	const slowModeSeconds = context.moderator ? 0 : Number(context.group.slow_mode_seconds ?? 0);
	return { context, body, slowModeSeconds };
}

/** Chat writes (a message, a reaction) need the group's chat on and not yet locked. */
export function assertChatOpen(context: MemberContext, now: Date): void {
	if (context.admin) return;
	if (!flag(context.group.chat_enabled)) throw new ChatDisabledError();
	// The course's cut-off date closes chat too (moderators keep writing, as in threads).
	if (!context.moderator && lockedReason(context.group, now)) throw new GroupLockedError();
}

/**
 * The facts' joins and columns over `query`, which reads `community_groups as g`. The send's values (a missing
 * reply_to is 0, a missing client_id '') are values, or columns of a batch.
 */
function withSendFacts(
	knex: Knex,
	query: Knex.QueryBuilder,
	group: number | Knex.Raw,
	userId: string | Knex.Raw,
	replyTo: number | Knex.Raw,
	clientId: string | Knex.Raw,
): Knex.QueryBuilder {
	return (
		query
			.leftJoin('community_members as m', (join) => join.on('m.group', '=', 'g.id').andOn('m.user', '=', knex.raw('?', [userId])))
			.leftJoin('enrollments as e', (join) => join.on('e.course', '=', 'g.course').andOn('e.user', '=', knex.raw('?', [userId])))
			.leftJoin('community_messages as r', (join) => join.on('r.id', '=', knex.raw('?', [replyTo])))
			.leftJoin('community_members as rm', (join) => join.on('rm.group', '=', 'g.id').andOn('rm.user', '=', 'r.sender'))
			// The retry of a message in this very group: another group's ids must not answer differently from missing ones.
			.leftJoin('community_messages as x', (join) =>
				join
					.on('x.group', '=', 'g.id')
					.andOn('x.sender', '=', knex.raw('?', [userId]))
					.andOn('x.client_id', '=', knex.raw('?', [clientId])),
			)
			.where('g.id', group)
			.select(
				'g.*',
				'm.id as m_id',
				'm.role as m_role',
				'm.status as m_status',
				'm.notify as m_notify',
				'e.status as e_status',
				'e.starts_at as e_starts_at',
				'e.expires_at as e_expires_at',
				'r.group as r_group',
				'r.sender as r_sender',
				'r.deleted_at as r_deleted_at',
				'r.hidden_at as r_hidden_at',
				'r.id as r_id',
				'rm.status as r_member_status',
				'rm.notify as r_member_notify',
				'x.id as x_id',
			)
	);
}

const sendFactsStatement = compiledStatement((knex: Knex, group: number, userId: string, replyTo: number, clientId: string) =>
	withSendFacts(knex, knex('community_groups as g'), group, userId, replyTo, clientId).limit(1),
);

/** The facts of many sends at once (PostgreSQL): rows tagged with their send's position. */
const sendsFactsStatement = compiledStatement((knex: Knex, groups: number[], userIds: string[], replyTos: number[], clientIds: string[]) =>
	withSendFacts(
		knex,
		knex
			.from(
				knex.raw(
					'unnest(?::integer[], ?::uuid[], ?::integer[], ?::text[]) with ordinality as k(group_id, user_id, reply_to, client_id, lms_batch_ord)',
					[groups, userIds, replyTos, clientIds],
				),
			)
			.join('community_groups as g', 'g.id', 'k.group_id'),
		knex.ref('k.group_id'),
		knex.ref('k.user_id'),
		knex.ref('k.reply_to'),
		knex.ref('k.client_id'),
	).select('k.lms_batch_ord'),
);

interface SendKey {
	group: number;
	userId: string;
	replyTo: number;
	clientId: string;
}

/** Sends' facts read at once while one read is in flight (chat under load), batched on PostgreSQL. */
const SEND_FACTS_BATCH_MAX = 200;
const sendFactsReads = batchedReadsPer(
	(knex) =>
		new BatchedReads<SendKey, Record<string, any> | undefined>(
			async (key) => (await sendFactsStatement<Record<string, any>>(knex, key.group, key.userId, key.replyTo, key.clientId))[0],
			async (keys) =>
				rowsPerKey(
					await sendsFactsStatement<Record<string, any> & { lms_batch_ord: string }>(
						knex,
						keys.map((key) => key.group),
						keys.map((key) => key.userId),
						keys.map((key) => key.replyTo),
						keys.map((key) => key.clientId),
					),
					keys.length,
				).map((rows) => rows[0]),
			SEND_FACTS_BATCH_MAX,
		),
);

async function sendFactsRow(knex: Knex, key: SendKey): Promise<Record<string, any> | undefined> {
	if (!isPostgres(knex) || knex.isTransaction)
		return (await sendFactsStatement<Record<string, any>>(knex, key.group, key.userId, key.replyTo, key.clientId))[0];
	return sendFactsReads(knex).load(key);
}

/**
 * The facts of one send in one statement: the group, the sender's membership and enrollment in its course,
 * the replied-to message and its sender's membership, and an earlier message with the same client_id (left
 * joins: a missing one is null).
 */
export async function loadSendFacts(knex: Knex, input: SendInput, userId: string): Promise<SendFacts> {
	const row = await sendFactsRow(knex, { group: input.group, userId, replyTo: input.reply_to ?? 0, clientId: input.client_id ?? '' });
	if (!row) return { group: undefined, member: undefined, enrollment: undefined, replyTo: undefined, existingId: null };
	const group = Object.fromEntries(Object.entries(row).filter(([key]) => !/^[mrex]_/.test(key))) as unknown as GroupRow;
	return {
		group,
		member:
			row['m_id'] === null || row['m_id'] === undefined
				? undefined
				: { id: row['m_id'], group: input.group, user: userId, role: row['m_role'], status: row['m_status'], notify: row['m_notify'] },
		enrollment:
			row['e_status'] === null || row['e_status'] === undefined
				? undefined
				: { status: row['e_status'], starts_at: row['e_starts_at'], expires_at: row['e_expires_at'] },
		replyTo:
			row['r_id'] === null || row['r_id'] === undefined
				? undefined
				: {
						group: Number(row['r_group']),
						sender: row['r_sender'],
						deleted_at: row['r_deleted_at'],
						hidden_at: row['r_hidden_at'],
						senderMember:
							row['r_member_status'] === null || row['r_member_status'] === undefined
								? undefined
								: { status: row['r_member_status'], notify: row['r_member_notify'] },
					},
		existingId: input.client_id && row['x_id'] !== null && row['x_id'] !== undefined ? Number(row['x_id']) : null,
	};
}

/**
 * The next `seq` of a group and the next number of its change cursor (a creation is a change), taken in the
 * inserting transaction: the UPDATE locks the group's row until commit, so within a group commit order is seq
 * order and change order, and a cursor on either never skips a late commit.
 */
export async function takeNextSeq(trx: Knex, groupId: number): Promise<{ seq: number; change_seq: number }> {
	const [row] = await trx('community_groups')
		.where({ id: groupId })
		.update({ last_seq: trx.raw('?? + 1', ['last_seq']), last_change_seq: trx.raw('?? + 1', ['last_change_seq']) })
		.returning(['last_seq', 'last_change_seq']);
	if (!row) throw new ForbiddenError();
	const taken = row as { last_seq: number | string; last_change_seq: number | string };
	return { seq: Number(taken.last_seq), change_seq: Number(taken.last_change_seq) };
}

/** Seconds still to wait under slow mode, 0 when the caller may send. */
export function slowModeWait(lastSentAt: number | null, slowModeSeconds: number, now: number): number {
	if (!slowModeSeconds || lastSentAt === null) return 0;
	const waitMs = lastSentAt + slowModeSeconds * 1000 - now;
	return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
}

/**
 * Slow mode, checked under the group's lock (after takeNextSeq): a parallel send of the same member commits
 * before this one reads, so two sends cannot slip through together. One statement, only when it applies.
 */
export async function assertSlowModeAllows(trx: Knex, group: number, userId: string, slowModeSeconds: number): Promise<void> {
	if (slowModeSeconds <= 0) return;
	const last = await trx('community_messages').select('date_created').where({ group, sender: userId }).orderBy('seq', 'desc').first();
	const wait = slowModeWait(timeOf(last?.date_created), slowModeSeconds, Date.now());
	if (wait > 0) throw new SlowModeError({ retry_after: wait });
}
