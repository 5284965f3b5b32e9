import type { Knex } from 'knex';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
	createPlainSendCommits,
	sendChatMessage,
	type PlainSendCommits,
} from '../../extensions/lms-community/src/lib/community/chat-send.js';
import { isStalePlan, runPrepared } from '../../extensions/lms-community/src/lib/db/prepared.js';
import { insertBatchInOneStatement } from '../../extensions/lms-community/src/lib/community/batch-send.js';
import { asAdmin, createUser, enroll, eventually, type TestUser } from '../support/api.js';
import { communityFixture, errorCode, membershipOf } from '../support/community.js';
import { loadSendFacts, type SendInput } from '../../extensions/lms-community/src/lib/rules/message-send.js';
import { openDatabase, outcome, readAloneAndTogether, statementsOf as statementsInDatabase } from '../support/database.js';
import { call, connectAs } from '../support/socket.js';

/**
 * The socket's send path (chat-send.ts) against the rules REST applies, statement by statement, on the test
 * instance's own database. Budgets count every statement the driver sends, BEGIN and COMMIT included.
 */
const STATEMENT_BUDGET = {
	postgres: { plain: 2, mention: 7, retry: 2 },
	sqlite: { plain: 5, mention: 7, retry: 2 },
} as const;

const errorCodeOf = (error: unknown) => (error as { code?: string }).code;

describe('the socket send path', () => {
	let knex: Knex;
	const sockets: Socket[] = [];
	const db = inject('directus').db;
	const budget = STATEMENT_BUDGET[db];

	beforeAll(() => {
		knex = openDatabase(inject('directus').configPath);
	});
	afterAll(async () => {
		for (const socket of sockets) socket.close();
		await knex.destroy();
	});
	const socketOf = async (user: TestUser) => {
		const socket = await connectAs(user);
		sockets.push(socket);
		return socket;
	};

	const statementsOf = (work: () => Promise<unknown>) => statementsInDatabase(knex, work);
	const noBudget = { spend: async () => undefined };

	it('stays within its statement budget: a plain send, a send with a mention, a retry', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [TestUser, TestUser];
		const deps = { knex, ...noBudget };
		const plain = await statementsOf(() => sendChatMessage(deps, alice.id, { group: group.id, body: 'plain', client_id: 'budget-1' }));
		expect(plain.length, plain.join('\n')).toBeLessThanOrEqual(budget.plain);
		const mention = await statementsOf(() =>
			sendChatMessage(deps, alice.id, { group: group.id, body: `hi <@${bob.id}>`, client_id: 'budget-2' }),
		);
		expect(mention.length, mention.join('\n')).toBeLessThanOrEqual(budget.mention);
		const retry = await statementsOf(() => sendChatMessage(deps, alice.id, { group: group.id, body: 'plain', client_id: 'budget-1' }));
		expect(retry.length, retry.join('\n')).toBeLessThanOrEqual(budget.retry);

		const rows = await knex('community_messages').where({ group: group.id }).orderBy('seq');
		expect(rows.map((row) => [Number(row.seq), row.body])).toEqual([
			[1, 'plain'],
			[2, `hi <@${bob.id}>`],
		]);
		const notified = await knex('community_notifications').where({ recipient: bob.id, type: 'message_mention' });
		expect(notified.map((row) => Number(row.message))).toEqual([Number(rows[1].id)]);
	});

	it('applies the rules REST applies, with the same codes, on both paths', async () => {
		const admin = await asAdmin();
		const { course, group, instructor, students } = await communityFixture({ students: 5, group: { slow_mode_seconds: 60 } });
		const [plain, muted, banned, leaving, expiring] = students as [TestUser, TestUser, TestUser, TestUser, TestUser];
		await instructor.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, muted)).id}`, { status: 'muted' });
		await instructor.api.ok('PATCH', `/items/community_members/${(await membershipOf(group, banned)).id}`, { status: 'banned' });
		await leaving.api.ok('POST', `/community/groups/${group.id}/leave`);
		// The enrollment ended a moment ago: the membership sweep has not marked it yet, the rules must.
		const [enrollment] = await admin.ok<Array<{ id: number }>>('GET', `/items/enrollments?filter[user][_eq]=${expiring.id}`);
		await knex('enrollments')
			.where({ id: enrollment!.id })
			.update({ expires_at: new Date(Date.now() - 1_000) });
		const stranger = await createUser('Student', 'stranger');
		const enrolledOnly = await createUser('Student', 'enrolled');
		await enroll(enrolledOnly, course);
		const other = await communityFixture({ students: 1 });
		const foreign = await other.students[0]!.api.ok('POST', '/items/community_messages', { group: other.group.id, body: 'elsewhere' });
		const deleted = await plain.api.ok('POST', '/items/community_messages', { group: group.id, body: 'to delete' });
		await plain.api.ok('PATCH', `/items/community_messages/${deleted.id}`, { deleted_at: true });
		const chatOff = await communityFixture({ students: 1, group: { chat_enabled: false } });
		const closed = await communityFixture({ students: 1, group: { locks_at: new Date(Date.now() - 60_000).toISOString() } });
		// Enrolled and a member, but no policy of theirs grants creating messages: Directus's permissions decide.
		const withoutPolicy = await createUser(null, 'no-policy');
		await enroll(withoutPolicy, course);
		await withoutPolicy.api.ok('POST', `/community/groups/${group.id}/join`);
		// A policy that grants creating messages, but only from another network (Directus's IP access).
		const offCampus = await createUser(null, 'off-campus');
		const campusOnly = await admin.ok<{ id: string }>('POST', '/policies', {
			name: `campus only ${offCampus.id}`,
			ip_access: ['10.0.0.0/8'],
		});
		await admin.ok('POST', '/permissions', { policy: campusOnly.id, collection: 'community_messages', action: 'create', fields: ['*'] });
		await admin.ok('POST', '/access', { user: offCampus.id, policy: campusOnly.id });
		await enroll(offCampus, course);
		await offCampus.api.ok('POST', `/community/groups/${group.id}/join`);

		const cases: Array<[string, TestUser, Record<string, unknown>, string]> = [
			['muted', muted, { group: group.id, body: 'x' }, 'MEMBER_MUTED'],
			['banned', banned, { group: group.id, body: 'x' }, 'MEMBER_BANNED'],
			['left', leaving, { group: group.id, body: 'x' }, 'NOT_A_MEMBER'],
			['enrollment expired', expiring, { group: group.id, body: 'x' }, 'FORBIDDEN'],
			['never enrolled', stranger, { group: group.id, body: 'x' }, 'FORBIDDEN'],
			['enrolled, not joined', enrolledOnly, { group: group.id, body: 'x' }, 'NOT_A_MEMBER'],
			['chat off', chatOff.students[0]!, { group: chatOff.group.id, body: 'x' }, 'CHAT_DISABLED'],
			['past the cut-off date', closed.students[0]!, { group: closed.group.id, body: 'x' }, 'GROUP_LOCKED'],
			['reply in another group', plain, { group: group.id, body: 'x', reply_to: Number(foreign.id) }, 'INVALID_REFERENCE'],
			['reply to a deleted message', plain, { group: group.id, body: 'x', reply_to: Number(deleted.id) }, 'INVALID_REFERENCE'],
			['too long', plain, { group: group.id, body: 'x'.repeat(4_001) }, 'BODY_TOO_LONG'],
			['empty', plain, { group: group.id, body: '   ' }, 'INVALID_PAYLOAD'],
			// PostgreSQL refuses a NUL in text: it was a 500, and it failed every batched read it joined.
			['a client_id holding a NUL', plain, { group: group.id, body: 'x', client_id: 'x\u0000' }, 'INVALID_PAYLOAD'],
			['group that does not exist', plain, { group: 2_000_000_000, body: 'x' }, 'FORBIDDEN'],
			['no policy to create messages', withoutPolicy, { group: group.id, body: 'x' }, 'FORBIDDEN'],
			['a policy for another network only', offCampus, { group: group.id, body: 'x' }, 'FORBIDDEN'],
		];
		for (const [label, user, payload, code] of cases) {
			const rest = await user.api.post('/items/community_messages', payload);
			const socket = await socketOf(user);
			const viaSocket = await call(socket, 'message:send', { client_id: `rules-${label}`, ...payload });
			socket.close();
			expect([label, errorCode(rest), viaSocket.error?.code]).toEqual([label, code, code]);
		}

		// Slow mode: the first message passes (plain sent one over REST above: it counts), the socket's answer says how long to wait.
		const slow = await call(await socketOf(plain), 'message:send', { group: group.id, body: 'again', client_id: 'slow-1' });
		expect(slow.error).toMatchObject({ code: 'SLOW_MODE' });
		expect(slow.error.retry_after).toBeGreaterThan(0);
		const teacherSocket = await socketOf(instructor);
		expect((await call(teacherSocket, 'message:send', { group: group.id, body: 'exempt', client_id: 'slow-2' })).ok).toBe(true);

		// Nothing refused left a row or took a seq: the sequence has no gaps.
		const seqs = (await knex('community_messages').where({ group: group.id }).orderBy('seq')).map((row) => Number(row.seq));
		expect(seqs).toEqual(seqs.map((_seq, index) => index + 1));
	});

	it("parallel sends to one group get gap-free seq in commit order; a send's retry races return one row", async () => {
		const { group, students } = await communityFixture({ students: 3 });
		const sockets = await Promise.all(students.map((student) => socketOf(student)));
		const answers = await Promise.all(
			sockets.flatMap((socket, index) =>
				Array.from({ length: 5 }, (_, n) => call(socket, 'message:send', { group: group.id, body: `m${n}`, client_id: `p-${index}-${n}` })),
			),
		);
		expect(answers.every((answer) => answer.ok)).toBe(true);
		const racing = await Promise.all(
			Array.from({ length: 4 }, () => call(sockets[0]!, 'message:send', { group: group.id, body: 'once', client_id: 'race-1' })),
		);
		expect(new Set(racing.map((answer) => answer.data.id)).size).toBe(1);
		const rows = await knex('community_messages').where({ group: group.id }).orderBy('seq');
		expect(rows.map((row) => Number(row.seq))).toEqual(rows.map((_row, index) => index + 1));
		expect(rows).toHaveLength(16);
		// Commit order is seq order: ids, assigned at insert under the group's lock, rise with seq.
		expect(rows.map((row) => Number(row.id))).toEqual([...rows.map((row) => Number(row.id))].sort((a, b) => a - b));
	});

	it.skipIf(inject('directus').db !== 'postgres')(
		'keeps sending, over the socket and REST, while an admin adds and removes fields of messages and groups (prepared plans go stale)',
		async () => {
			const { group, students } = await communityFixture({ students: 2 });
			const socket = await socketOf(students[0]!);
			const admin = await asAdmin();
			const sendAll = async (label: string, count: number) => {
				const answers = await Promise.all(
					Array.from({ length: count }, (_, n) =>
						call(socket, 'message:send', { group: group.id, body: `${label} ${n}`, client_id: `${label}-${n}` }),
					),
				);
				expect(answers.map((answer) => answer.error?.code ?? 'ok')).toEqual(answers.map(() => 'ok'));
			};
			// REST writes in a transaction, where a stale plan could not be run again (it answered 503 once).
			const postAll = async (label: string, count: number) => {
				for (let n = 0; n < count; n++)
					expect((await students[1]!.api.post('/items/community_messages', { group: group.id, body: `${label} ${n}` })).status).toBe(200);
			};
			await sendAll('before', 2);
			await postAll('before, REST', 2);
			const field = `stale_plan_${Date.now()}`;
			try {
				for (const collection of ['community_messages', 'community_groups'])
					await admin.ok('POST', `/fields/${collection}`, { field, type: 'string', meta: { hidden: true } });
				await postAll('added, REST', 2);
				await sendAll('added', 4);
			} finally {
				for (const collection of ['community_messages', 'community_groups']) await admin.ok('DELETE', `/fields/${collection}/${field}`);
			}
			await postAll('removed, REST', 2);
			await sendAll('removed', 4);
			const seqs = (await knex('community_messages').where({ group: group.id }).orderBy('seq')).map((row) => Number(row.seq));
			expect(seqs).toEqual(Array.from({ length: 16 }, (_, index) => index + 1));
		},
	);

	it.skipIf(inject('directus').db !== 'postgres')(
		'after one stale plan, every connection plans the statement anew (a write retried in another transaction succeeds)',
		async () => {
			const table = `stale_plan_probe_${Date.now()}`;
			await knex.schema.createTable(table, (t) => t.integer('id'));
			await knex(table).insert({ id: 1 });
			const probe = (db: Knex) => runPrepared(db, `select * from ${table}`, []);
			// The test's pool has two connections: two open transactions hold both.
			const onBoth = async () => {
				const transactions = [await knex.transaction(), await knex.transaction()];
				try {
					const outcomes: string[] = [];
					for (const trx of transactions)
						outcomes.push(
							await probe(trx).then(
								() => 'ok',
								(error: unknown) => (isStalePlan(error) ? 'stale' : String(error)),
							),
						);
					return outcomes;
				} finally {
					for (const trx of transactions) await trx.rollback();
				}
			};
			try {
				expect(await onBoth()).toEqual(['ok', 'ok']);
				await knex.schema.alterTable(table, (t) => t.string('added'));
				// Inside a transaction the first run fails (the caller runs it again); the other connection plans anew.
				expect(await onBoth()).toEqual(['stale', 'ok']);
				expect(await onBoth()).toEqual(['ok', 'ok']);
			} finally {
				await knex.schema.dropTable(table);
			}
		},
	);

	it.skipIf(inject('directus').db !== 'postgres')(
		"a batched write whose plan went stale goes again, and the sender's budget is spent once",
		async () => {
			const { group, students } = await communityFixture({ students: 1 });
			const commits = createPlainSendCommits(knex)!;
			let stale = 1;
			const plainSends = {
				submit: (message: Parameters<PlainSendCommits['submit']>[0]) =>
					stale-- > 0
						? Promise.reject(Object.assign(new Error('cached plan must not change result type'), { code: '0A000' }))
						: commits.submit(message),
			} as unknown as PlainSendCommits;
			let spent = 0;
			const sent = await sendChatMessage({ knex, spend: async () => void (spent += 1), plainSends }, students[0]!.id, {
				group: group.id,
				body: 'planned again',
				client_id: 'stale-once',
			});
			expect([sent.created, sent.message.body, spent]).toEqual([true, 'planned again', 1]);
		},
	);

	it.skipIf(inject('directus').db !== 'postgres')(
		'a batch of plain sends goes in one statement: seq gap-free per group in submission order, a vanished group refused',
		async () => {
			const [one, two] = [await communityFixture({ students: 1 }), await communityFixture({ students: 1 })];
			const [alice, bob] = [one.students[0]!, two.students[0]!];
			const at = new Date();
			const batch = [
				{ group: one.group.id, sender: alice.id, body: 'a1', reply_to: null, client_id: 'batch-a1', date_created: at },
				{ group: two.group.id, sender: bob.id, body: 'b1', reply_to: null, client_id: 'batch-b1', date_created: at },
				{ group: one.group.id, sender: alice.id, body: 'a2', reply_to: null, client_id: 'batch-a2', date_created: at },
				{ group: 2_000_000_000, sender: bob.id, body: 'nowhere', reply_to: null, client_id: 'batch-x', date_created: at },
				{ group: one.group.id, sender: alice.id, body: 'a3', reply_to: null, client_id: 'batch-a3', date_created: at },
			];
			const outcomes = await statementsOf(async () => {
				const result = await insertBatchInOneStatement(knex, batch);
				expect(result.map((outcome) => (outcome.ok ? outcome.value['body'] : errorCodeOf(outcome.error)))).toEqual([
					'a1',
					'b1',
					'a2',
					'FORBIDDEN',
					'a3',
				]);
			});
			expect(outcomes).toHaveLength(1);
			const stored = await knex('community_messages').whereIn('group', [one.group.id, two.group.id]).orderBy('id');
			expect(stored.map((row) => [row.body, Number(row.seq)])).toEqual([
				['a1', 1],
				['a2', 2],
				['a3', 3],
				['b1', 1],
			]);
			const groups = await knex('community_groups').whereIn('id', [one.group.id, two.group.id]).orderBy('id');
			expect(groups.map((row) => Number(row.last_seq))).toEqual([3, 1]);
			// A client_id already stored fails the statement as a whole: nothing of the batch is written.
			await expect(
				insertBatchInOneStatement(knex, [
					{ ...batch[0]!, client_id: 'batch-new' },
					{ ...batch[0]!, client_id: 'batch-a1' },
				]),
			).rejects.toMatchObject({ code: '23505' });
			expect(await knex('community_messages').where({ client_id: 'batch-new' })).toHaveLength(0);
			expect(Number((await knex('community_groups').where({ id: one.group.id }).first()).last_seq)).toBe(3);
		},
	);

	it("sends' facts in flight together: one statement, each answered as when read alone", async () => {
		const { group, students, instructor } = await communityFixture({ students: 2 });
		const other = await communityFixture({ students: 1 });
		const [alice, bob] = [students[0]!, students[1]!];
		const first = await sendChatMessage({ knex, spend: async () => undefined }, alice.id, {
			group: group.id,
			body: 'first',
			client_id: 'facts-1',
		});
		const firstId = Number(first.message.id);
		const keys: Array<[SendInput, string]> = [
			[{ group: group.id }, alice.id],
			[{ group: group.id, client_id: 'facts-1' }, alice.id],
			[{ group: group.id, reply_to: firstId }, bob.id],
			[{ group: group.id, client_id: 'facts-1' }, bob.id],
			[{ group: other.group.id, reply_to: firstId }, other.students[0]!.id],
			[{ group: group.id }, instructor.id],
			[{ group: 2_000_000_000 }, alice.id],
			// Past PostgreSQL's integer: the batch's statement fails, each send's facts are read alone.
			[{ group: group.id, reply_to: 3_000_000_000 }, alice.id],
		];
		const read = ([input, user]: [SendInput, string]) => outcome(loadSendFacts(knex, input, user));
		const alone = await readAloneAndTogether(knex, db, keys, read);
		const summary = (one: (typeof alone)[number]) =>
			'ok' in one ? [one.ok.member?.status ?? null, one.ok.existingId === firstId, one.ok.replyTo?.group ?? null] : one.error;
		expect(alone.map(summary)).toEqual([
			['active', false, null],
			['active', true, null],
			['active', false, group.id],
			['active', false, null],
			['active', false, group.id],
			['active', false, null],
			[null, false, null],
			db === 'postgres' ? '22003' : ['active', false, null],
		]);
	});

	it("announces socket sends on Directus's own emitter: a Flow on community_messages runs", async () => {
		const admin = await asAdmin();
		const flow = await admin.ok<{ id: string }>('POST', '/flows', {
			name: 'chat sends',
			status: 'active',
			trigger: 'event',
			accountability: 'activity',
			options: { type: 'action', scope: ['items.create'], collections: ['community_messages'] },
		});
		const runs = async () =>
			(await admin.ok<unknown[]>('GET', `/activity?filter[collection][_eq]=directus_flows&filter[item][_eq]=${flow.id}`)).length;
		try {
			const { group, students } = await communityFixture({ students: 1 });
			const before = await runs();
			const socket = await socketOf(students[0]!);
			expect((await call(socket, 'message:send', { group: group.id, body: 'to the flow', client_id: 'flow-1' })).ok).toBe(true);
			await eventually(async () => (await runs()) > before, 10_000, 'a flow run');
		} finally {
			await admin.ok('DELETE', `/flows/${flow.id}`);
		}
	});
});
