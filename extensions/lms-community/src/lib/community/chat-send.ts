import type { Knex } from 'knex';
import { extractMentions } from '../domain/text.js';
import { compiledStatement, isStalePlan } from '../db/prepared.js';
import { insertBatchInOneStatement, type PlainMessage, type StoredMessage } from './batch-send.js';
import { isPostgres } from '../setup/search-index.js';
import { isUniqueViolation } from '../errors/database.js';
import { ForbiddenError } from '../errors/index.js';
import { assertSlowModeAllows, decideSend, loadSendFacts, takeNextSeq, type SendFacts, type SendInput } from '../rules/message-send.js';
import { deliverable, type NotifyPreference } from '../rules/notifications.js';
import { GroupCommit } from './group-commit.js';

/**
 * The socket's send path: the rules of message-send.ts (the same ones Directus's items apply on REST) and the
 * write in as few statements as the database allows, the returned rows serving the ack, the broadcast and the
 * notification pushes without re-reads. On PostgreSQL a plain message is two statements: the facts, then one
 * `UPDATE … RETURNING` feeding an `INSERT … RETURNING` (atomic, and the group's row lock orders commits by seq).
 * Mentions, replies and slow mode take a transaction: notifications commit with their message; slow mode reads under the lock.
 */

export type StoredRow = Record<string, unknown>;

export interface ChatSent {
	message: StoredMessage;
	/** false when this sender's message with this client_id existed already (a retry gets the original). */
	created: boolean;
	/** The mention and reply notifications stored with the message. */
	notifications: StoredRow[];
}

export interface ChatSendDeps {
	knex: Knex;
	/** Spends the sender's message budget, once the rules accepted the send and before anything is stored. */
	spend(userId: string): Promise<void>;
	/** PostgreSQL's plain sends, group-committed (createPlainSendCommits); without it each commits alone. */
	plainSends?: PlainSendCommits;
}

export type PlainSendCommits = GroupCommit<PlainMessage, StoredMessage>;

/**
 * One process's group commit of plain sends (group-commit.ts), ordered by group so batches lock groups in one
 * order; a batch goes in one statement (batch-send.ts), a lone send in one statement of its own.
 */
export function createPlainSendCommits(knex: Knex): PlainSendCommits | undefined {
	if (!isPostgres(knex)) return undefined;
	return new GroupCommit<PlainMessage, StoredMessage>(
		knex,
		insertInOneStatement,
		(a, b) => a.group - b.group,
		100,
		insertBatchInOneStatement,
	);
}

export type ChatSendInput = SendInput & { body: string; client_id: string };

export async function sendChatMessage(deps: ChatSendDeps, userId: string, input: ChatSendInput): Promise<ChatSent> {
	const { knex } = deps;
	const facts = await loadSendFacts(knex, input, userId);
	if (facts.existingId !== null) return { message: await readMessage(knex, facts.existingId), created: false, notifications: [] };
	const { context, body, slowModeSeconds } = decideSend(facts, input, userId, new Date());
	await deps.spend(userId);

	const mentioned = extractMentions(body).filter((user) => user !== userId);
	const drafts = [
		...(mentioned.length > 0 ? await mentionRecipients(knex, context.group.id, userId, mentioned) : []).map((recipient) => ({
			recipient,
			type: 'message_mention' as const,
		})),
		...replyRecipient(facts.replyTo, userId, input.group, mentioned).map((recipient) => ({ recipient, type: 'message_reply' as const })),
	];
	const message = {
		group: input.group,
		sender: userId,
		body,
		reply_to: input.reply_to ?? null,
		client_id: input.client_id,
		date_created: new Date(),
	};
	try {
		if (isPostgres(knex) && slowModeSeconds === 0 && drafts.length === 0)
			return {
				message: await (deps.plainSends ? submitPlain(deps.plainSends, message) : insertInOneStatement(knex, message)),
				created: true,
				notifications: [],
			};
		return await knex.transaction(async (trx) => {
			const numbers = await takeNextSeq(trx, input.group);
			await assertSlowModeAllows(trx, input.group, userId, slowModeSeconds);
			const [stored] = await trx('community_messages')
				.insert({ ...message, ...numbers })
				.returning('*');
			const row = stored as StoredMessage;
			const notifications =
				drafts.length === 0
					? []
					: await trx('community_notifications')
							.insert(
								drafts.map((draft) => ({
									...draft,
									actor: userId,
									group: input.group,
									message: row.id,
									date_created: message.date_created,
								})),
							)
							.returning('*');
			return { message: row, created: true, notifications };
		});
	} catch (error) {
		// A retry racing its own first attempt: the unique (sender, client_id) index lets one insert win.
		if (!isUniqueViolation(error)) throw error;
		const winner = await knex('community_messages').select('id').where({ sender: userId, client_id: input.client_id }).first();
		if (!winner) throw error;
		return { message: await readMessage(knex, Number(winner.id)), created: false, notifications: [] };
	}
}

/**
 * A batch's savepoint cannot run a statement again once its plan went stale (a column of messages changed,
 * db/prepared.ts): nothing was written, and the next batch plans it anew. Only the write goes again: the
 * sender's budget is spent once.
 */
async function submitPlain(plainSends: PlainSendCommits, message: PlainMessage): Promise<StoredMessage> {
	try {
		return await plainSends.submit(message);
	} catch (error) {
		if (!isStalePlan(error)) throw error;
		return plainSends.submit(message);
	}
}

async function readMessage(knex: Knex, id: number): Promise<StoredMessage> {
	return knex('community_messages').where({ id }).first();
}

/**
 * The `seq`, the change number and the row in one atomic statement: a failed insert takes its numbers back
 * with it (no gaps).
 */
const insertStatement = compiledStatement(
	(knex: Knex, group: number, sender: string, body: string, replyTo: number | null, clientId: string, dateCreated: Date) =>
		knex.raw(
			`with next as (update ?? set ?? = ?? + 1, ?? = ?? + 1 where ?? = ? returning ??, ??)
		insert into ?? (??, ??, ??, ??, ??, ??, ??, ??) select ?, ?, ?, ?, ?, next.??, next.??, ? from next returning *`,
			[
				'community_groups',
				'last_seq',
				'last_seq',
				'last_change_seq',
				'last_change_seq',
				'id',
				group,
				'last_seq',
				'last_change_seq',
				'community_messages',
				'group',
				'sender',
				'body',
				'reply_to',
				'client_id',
				'seq',
				'change_seq',
				'date_created',
				group,
				sender,
				body,
				replyTo,
				clientId,
				'last_seq',
				'last_change_seq',
				dateCreated,
			],
		),
);

async function insertInOneStatement(knex: Knex, message: PlainMessage): Promise<StoredMessage> {
	const [row] = await insertStatement<StoredMessage>(
		knex,
		message.group,
		message.sender,
		message.body,
		message.reply_to,
		message.client_id,
		message.date_created,
	);
	// The group went away after the facts were read: answered like a group that never existed.
	if (!row) throw new ForbiddenError();
	return row;
}

/**
 * The replied-to sender, told of the reply as notifyAsSystem would choose (from the membership the send's facts
 * read, no statement of its own): not the sender themself, not someone who no longer reads the group, as their
 * preference says; not when the message mentions them already (the mention tells them).
 */
function replyRecipient(replyTo: SendFacts['replyTo'], actor: string, group: number, mentioned: string[]): string[] {
	const recipient = replyTo?.sender;
	if (!recipient || mentioned.includes(recipient)) return [];
	const member = replyTo.senderMember;
	const preference = member && ['active', 'muted'].includes(member.status) ? member.notify : undefined;
	return deliverable([{ recipient, actor, group, type: 'message_reply' }], () => preference).map((draft) => draft.recipient);
}

/** Mentioned people who read the group and want mentions, as notifyAsSystem would choose them. */
async function mentionRecipients(knex: Knex, group: number, actor: string, mentioned: string[]): Promise<string[]> {
	const members: Array<{ user: string; notify: NotifyPreference }> = await knex('community_members')
		.select('user', 'notify')
		.where({ group })
		.whereIn('user', mentioned)
		.whereIn('status', ['active', 'muted']);
	const preferences = new Map(members.map((member) => [member.user, member.notify]));
	return deliverable(
		mentioned.map((recipient) => ({ recipient, actor, group, type: 'message_mention' as const })),
		(draft) => preferences.get(draft.recipient),
	).map((draft) => draft.recipient);
}
