import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { asAdmin, eventually, type TestUser } from '../support/api.js';
import { communityFixture, errorCode, membershipOf, notificationsOf } from '../support/community.js';
import { call, connectAs, nextEvent } from '../support/socket.js';

const sockets: Socket[] = [];
afterEach(() => {
	for (const socket of sockets.splice(0)) socket.disconnect();
});

async function publishedPost(author: TestUser, group: { id: number }, title = 'Buy cheap pills') {
	return author.api.ok('POST', '/items/community_posts', { group: group.id, title, body: 'Visit my shop' });
}

describe('reports of posts and messages', () => {
	it('members report visible content once; own, invisible and malformed reports are refused with codes', async () => {
		const { group, students, instructor } = await communityFixture({ students: 3 });
		const [alice, bob, carol] = students as [TestUser, TestUser, TestUser];
		const post = await publishedPost(alice, group);

		const created = await bob.api.post('/community/reports', { post: post.id, reason: 'spam', note: 'an ad' });
		expect(created.status).toBe(200);
		expect(created.body.data).toMatchObject({ post: post.id, reporter: bob.id, group: group.id, reason: 'spam', status: 'open' });

		const again = await bob.api.post('/community/reports', { post: post.id, reason: 'other' });
		expect([again.status, errorCode(again)]).toEqual([409, 'ALREADY_REPORTED']);
		const own = await alice.api.post('/community/reports', { post: post.id, reason: 'spam' });
		expect([own.status, errorCode(own)]).toEqual([403, 'OWN_CONTENT']);

		const draft = await alice.api.ok('POST', '/items/community_posts', { group: group.id, title: 'd', body: 'draft', status: 'draft' });
		const invisible = await bob.api.post('/community/reports', { post: draft.id, reason: 'spam' });
		expect([invisible.status, errorCode(invisible)]).toEqual([403, 'FORBIDDEN']);
		const missing = await bob.api.post('/community/reports', { post: 999999, reason: 'spam' });
		expect([missing.status, errorCode(missing)]).toEqual([403, 'FORBIDDEN']);

		const cases: Array<[object, number, string]> = [
			[{ post: post.id }, 400, 'INVALID_PAYLOAD'],
			[{ post: post.id, reason: 'boring' }, 400, 'INVALID_PAYLOAD'],
			[{ reason: 'spam' }, 400, 'INVALID_PAYLOAD'],
			[{ post: post.id, message: 1, reason: 'spam' }, 400, 'INVALID_PAYLOAD'],
			[{ post: post.id, reason: 'spam', status: 'resolved' }, 403, 'FIELD_NOT_ALLOWED'],
			[{ post: post.id, reason: 'spam', note: 'x'.repeat(2_001) }, 400, 'INVALID_PAYLOAD'],
		];
		for (const [body, status, code] of cases) {
			const response = await carol.api.post('/community/reports', body);
			expect([response.status, errorCode(response)], JSON.stringify(body).slice(0, 60)).toEqual([status, code]);
		}
		// Plain REST goes through the same rules; reports are not members' to change.
		const viaItems = await carol.api.post('/items/community_reports', { post: post.id, reason: 'off_topic', group: 999 });
		expect([viaItems.status, errorCode(viaItems)]).toEqual([403, 'FIELD_NOT_ALLOWED']);
		const patched = await bob.api.patch(`/items/community_reports/${created.body.data.id}`, { status: 'dismissed' });
		expect(patched.status).toBe(403);

		// Reporters see their own reports, the group's moderators all of them, other members none.
		expect(await bob.api.ok<any[]>('GET', '/items/community_reports')).toHaveLength(1);
		expect(await carol.api.ok<any[]>('GET', '/items/community_reports')).toHaveLength(0);
		expect(await instructor.api.ok<any[]>('GET', `/items/community_reports?filter[group][_eq]=${group.id}`)).toHaveLength(1);

		const admin = await asAdmin();
		const muted = await membershipOf(group, carol);
		await admin.ok('PATCH', `/items/community_members/${muted.id}`, { status: 'muted' });
		const byMuted = await carol.api.post('/community/reports', { post: post.id, reason: 'spam' });
		expect([byMuted.status, errorCode(byMuted)]).toEqual([403, 'MEMBER_MUTED']);
		const reports = await admin.ok<any[]>('GET', `/items/community_reports?filter[group][_eq]=${group.id}`);
		expect(reports).toHaveLength(1);
	});

	it('racing duplicate reports leave exactly one open report', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [TestUser, TestUser];
		const post = await publishedPost(alice, group);
		const answers = await Promise.all(
			Array.from({ length: 6 }, () => bob.api.post('/community/reports', { post: post.id, reason: 'spam' })),
		);
		expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
		for (const answer of answers.filter((a) => a.status !== 200))
			expect([answer.status, errorCode(answer)]).toEqual([409, 'ALREADY_REPORTED']);
		const admin = await asAdmin();
		expect(await admin.ok<any[]>('GET', `/items/community_reports?filter[post][_eq]=${post.id}`)).toHaveLength(1);
	});

	it('moderators are notified; the threshold hides a post until review; keeping it brings it back', async () => {
		const { group, students, instructor } = await communityFixture({ students: 4, group: { report_threshold: 2 } });
		const [alice, bob, carol, dave] = students as [TestUser, TestUser, TestUser, TestUser];
		const post = await publishedPost(alice, group);

		await bob.api.ok('POST', '/community/reports', { post: post.id, reason: 'spam' });
		const first = await eventually(async () => (await notificationsOf(instructor, 'report_new')).find((n) => n.post === post.id));
		expect(first.data).toMatchObject({ reason: 'spam', open_reports: 1, hidden: false });
		expect(await dave.api.ok<any[]>('GET', `/items/community_posts?filter[id][_eq]=${post.id}`)).toHaveLength(1);

		await carol.api.ok('POST', '/community/reports', { post: post.id, reason: 'harassment' });
		await eventually(async () => (await notificationsOf(instructor, 'report_new')).find((n) => n.data?.hidden === true));
		const admin = await asAdmin();
		expect((await admin.ok('GET', `/items/community_posts/${post.id}`)).status).toBe('hidden');
		// Hidden pending review: gone for members, still there for its author and the group's moderators.
		expect(await dave.api.ok<any[]>('GET', `/items/community_posts?filter[id][_eq]=${post.id}`)).toHaveLength(0);
		expect(await alice.api.ok<any[]>('GET', `/items/community_posts?filter[id][_eq]=${post.id}`)).toHaveLength(1);
		expect(await instructor.api.ok<any[]>('GET', `/items/community_posts?filter[id][_eq]=${post.id}`)).toHaveLength(1);
		const hiddenReport = await dave.api.post('/community/reports', { post: post.id, reason: 'spam' });
		expect([hiddenReport.status, errorCode(hiddenReport)]).toEqual([403, 'FORBIDDEN']);

		const queue = await instructor.api.ok('GET', `/community/moderation/queue?group=${group.id}`);
		expect(queue.reported_items).toHaveLength(1);
		expect(queue.reported_items[0]).toMatchObject({ kind: 'post', id: post.id, status: 'hidden' });
		expect(queue.reported_items[0].reports.map((r: any) => r.reason)).toEqual(['spam', 'harassment']);

		const reportId = queue.reported_items[0].reports[0].id;
		const byMember = await dave.api.post(`/community/reports/${reportId}/resolve`, { action: 'keep' });
		expect([byMember.status, errorCode(byMember)]).toEqual([403, 'FORBIDDEN']);
		const byReporter = await bob.api.post(`/community/reports/${reportId}/resolve`, { action: 'keep' });
		expect([byReporter.status, errorCode(byReporter)]).toEqual([403, 'NOT_MODERATOR']);
		const bad = await instructor.api.post(`/community/reports/${reportId}/resolve`, { action: 'burn' });
		expect([bad.status, errorCode(bad)]).toEqual([400, 'INVALID_PAYLOAD']);

		const kept = await instructor.api.ok('POST', `/community/reports/${reportId}/resolve`, { action: 'keep', note: 'It is on topic' });
		expect(kept.resolved_reports).toHaveLength(2);
		expect(kept.report).toMatchObject({
			status: 'dismissed',
			resolution: 'kept',
			resolved_by: instructor.id,
			resolution_note: 'It is on topic',
		});
		expect(kept.report.resolved_at).toBeTruthy();
		expect(await dave.api.ok<any[]>('GET', `/items/community_posts?filter[id][_eq]=${post.id}`)).toHaveLength(1);
		for (const reporter of [bob, carol]) {
			const [outcome] = await eventually(async () => {
				const found = await notificationsOf(reporter, 'report_resolved');
				return found.length > 0 && found;
			});
			expect(outcome).toMatchObject({ post: post.id, data: { resolution: 'kept' } });
		}
		const twice = await instructor.api.post(`/community/reports/${reportId}/resolve`, { action: 'hide' });
		expect([twice.status, errorCode(twice)]).toEqual([409, 'INVALID_STATE']);
		expect((await instructor.api.ok('GET', `/community/moderation/queue?group=${group.id}`)).reported_items).toHaveLength(0);
	});

	it('one decision deletes the item and bans its author; moderators (not instructors) cannot ban', async () => {
		const { group, students, instructor } = await communityFixture({ students: 3 });
		const [alice, bob, tina] = students as [TestUser, TestUser, TestUser];
		const admin = await asAdmin();
		await admin.ok('PATCH', `/items/community_members/${(await membershipOf(group, tina)).id}`, { role: 'moderator' });
		const post = await publishedPost(alice, group);
		const report = await bob.api.ok('POST', '/community/reports', { post: post.id, reason: 'harassment' });

		const byModerator = await tina.api.post(`/community/reports/${report.id}/resolve`, { action: 'delete', author: 'ban' });
		expect([byModerator.status, errorCode(byModerator)]).toEqual([403, 'NOT_INSTRUCTOR']);
		expect((await admin.ok('GET', `/items/community_posts/${post.id}`)).status).toBe('published');

		const done = await instructor.api.ok('POST', `/community/reports/${report.id}/resolve`, {
			action: 'delete',
			author: 'ban',
			note: 'Abuse',
		});
		expect(done.report).toMatchObject({ status: 'resolved', resolution: 'deleted', author_action: 'banned', resolved_by: instructor.id });
		expect((await admin.ok('GET', `/items/community_posts/${post.id}`)).status).toBe('deleted');
		expect((await membershipOf(group, alice)).status).toBe('banned');
		const activity = await admin.ok<any[]>(
			'GET',
			`/activity?filter[collection][_eq]=community_reports&filter[item][_eq]=${report.id}&sort=-id`,
		);
		expect(activity.map((a) => a.action)).toContain('update');
	});

	it('messages: reported over the socket, hidden at the threshold, concealed in sync, deleted by a moderator', async () => {
		const { group, students, instructor } = await communityFixture({ students: 3, group: { report_threshold: 1 } });
		const [alice, bob, carol] = students as [TestUser, TestUser, TestUser];
		const [aliceSocket, bobSocket, carolSocket, teacherSocket] = (await Promise.all(
			[alice, bob, carol, instructor].map((u) => connectAs(u)),
		)) as [Socket, Socket, Socket, Socket];
		sockets.push(aliceSocket, bobSocket, carolSocket, teacherSocket);
		for (const socket of sockets) expect((await call(socket, 'group:join', { group: group.id })).ok).toBe(true);

		const sent = await call(aliceSocket, 'message:send', { group: group.id, body: 'rude words', client_id: 'c1' });
		expect(sent.ok).toBe(true);
		const own = await call(aliceSocket, 'message:report', { message: sent.data.id, reason: 'other' });
		expect([own.ok, own.error?.code]).toEqual([false, 'OWN_CONTENT']);
		const bad = await call(bobSocket, 'message:report', { message: sent.data.id, reason: 'meh' });
		expect([bad.ok, bad.error?.code]).toEqual([false, 'INVALID_PAYLOAD']);

		const hiddenEvent = nextEvent(carolSocket, 'message:hidden');
		const reportNew = nextEvent(teacherSocket, 'notification:new');
		const reported = await call(bobSocket, 'message:report', { message: sent.data.id, reason: 'harassment', note: 'mean' });
		expect(reported).toMatchObject({ ok: true, data: { message: sent.data.id, status: 'open' } });
		expect(await hiddenEvent).toMatchObject({ id: sent.data.id, seq: sent.data.seq, body: '' });
		expect((await reportNew).type).toBe('report_new');

		const carolSync = await call(carolSocket, 'message:sync', { group: group.id, after: 0 });
		expect(carolSync.data.messages).toHaveLength(1);
		expect(carolSync.data.messages[0]).toMatchObject({ seq: sent.data.seq, body: '' });
		expect(carolSync.data.messages[0].hidden_at).toBeTruthy();
		const teacherSync = await call(teacherSocket, 'message:sync', { group: group.id, after: 0 });
		expect(teacherSync.data.messages[0].body).toBe('rude words');
		expect(await carol.api.ok<any[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}`)).toHaveLength(0);
		const carolGroups = await carol.api.ok<any[]>('GET', '/community/me/groups');
		expect(carolGroups.find((g) => g.id === group.id)).toMatchObject({ unread_messages: 0, last_message: { body: '', hidden: true } });
		const teacherGroups = await instructor.api.ok<any[]>('GET', '/community/me/groups');
		expect(teacherGroups.find((g) => g.id === group.id).last_message.body).toBe('rude words');
		expect(await alice.api.ok<any[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}`)).toHaveLength(1);

		const deleted = nextEvent(carolSocket, 'message:deleted');
		await instructor.api.ok('POST', `/community/reports/${reported.data.id}/resolve`, { action: 'delete' });
		expect(await deleted).toMatchObject({ id: sent.data.id, body: '' });
		const admin = await asAdmin();
		const row = await admin.ok('GET', `/items/community_messages/${sent.data.id}`);
		expect(row.deleted_at).toBeTruthy();
		expect(row.body).toBe('');
	});
});
