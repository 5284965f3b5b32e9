import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { addMember, type Api, asAdmin, createCourse, createGroup, createUser, enroll } from '../support/api.js';
import { ROOT } from '../support/directus-instance.js';

interface SnapshotFile {
	collections: Array<{ collection: string; schema: unknown }>;
	fields: Array<{ collection: string; field: string; type: string }>;
	relations: Array<{ collection: string; field: string; related_collection: string; meta: { one_field: string | null } }>;
}

const snapshots: SnapshotFile[] = ['lms.yaml', 'community.yaml'].map((file) =>
	parse(readFileSync(path.join(ROOT, 'snapshots', file), 'utf8')),
);

describe('the schema from snapshots/', () => {
	let admin: Api;
	beforeAll(async () => {
		admin = await asAdmin();
	});

	it('has every collection of the snapshots, in the Community and LMS folders', async () => {
		const collections = await admin.ok<Array<{ collection: string; meta: { group: string | null } }>>('GET', '/collections');
		for (const { collection } of snapshots.flatMap((s) => s.collections)) {
			expect(
				collections.map((c) => c.collection),
				collection,
			).toContain(collection);
		}
		const communityCollections = collections.filter((c) => c.collection.startsWith('community_'));
		expect(communityCollections.length).toBe(14);
		for (const c of communityCollections) expect(c.meta.group, c.collection).toBe('community');
	});

	it('has every field of the snapshots with its type', async () => {
		const fields = await admin.ok<Array<{ collection: string; field: string; type: string }>>('GET', '/fields');
		const live = new Map(fields.map((f) => [`${f.collection}.${f.field}`, f.type]));
		for (const field of snapshots.flatMap((s) => s.fields)) {
			const type = live.get(`${field.collection}.${field.field}`);
			expect(type, `${field.collection}.${field.field}`).toBeDefined();
			// SQLite has no uuid type: such columns read back as strings there.
			expect([field.type, field.type === 'uuid' ? 'string' : field.type, field.type === 'string' ? 'uuid' : field.type]).toContain(type);
		}
	});

	it('has every relation of the snapshots, with its one-to-many alias', async () => {
		const relations = await admin.ok<
			Array<{ collection: string; field: string; related_collection: string; meta: { one_field: string | null } }>
		>('GET', '/relations');
		for (const relation of snapshots.flatMap((s) => s.relations)) {
			const live = relations.find((r) => r.collection === relation.collection && r.field === relation.field);
			expect(live, `${relation.collection}.${relation.field}`).toBeDefined();
			expect(live!.related_collection).toBe(relation.related_collection);
			expect(live!.meta.one_field).toBe(relation.meta.one_field);
		}
	});

	it('gives the admin app what it needs: display templates, coloured status dropdowns, markdown bodies, read-only counters', async () => {
		const posts = await admin.ok<{ meta: { display_template: string } }>('GET', '/collections/community_posts');
		expect(posts.meta.display_template).toContain('{{title}}');
		expect(posts.meta.display_template).toContain('{{author.');
		const status = await admin.ok<{ meta: { interface: string; options: { choices: Array<{ value: string; color: string }> } } }>(
			'GET',
			'/fields/community_posts/status',
		);
		expect(status.meta.interface).toBe('select-dropdown');
		expect(status.meta.options.choices.map((c) => c.value).sort()).toEqual([
			'deleted',
			'draft',
			'hidden',
			'pending',
			'published',
			'rejected',
		]);
		for (const choice of status.meta.options.choices) expect(choice.color).toMatch(/^#/);
		const body = await admin.ok<{ meta: { interface: string } }>('GET', '/fields/community_posts/body');
		expect(body.meta.interface).toBe('input-rich-text-md');
		for (const counter of ['view_count', 'reply_count', 'reaction_counts']) {
			const field = await admin.ok<{ meta: { readonly: boolean; note: string } }>('GET', `/fields/community_posts/${counter}`);
			expect(field.meta.readonly, counter).toBe(true);
			expect(field.meta.note, counter).toBeTruthy();
		}
	});

	it('rejects duplicates where the design says unique', async () => {
		const user = await createUser('Student', 'unique');
		const course = await createCourse();
		const group = await createGroup(course);
		await enroll(user, course);
		const duplicateEnrollment = await admin.post('/items/enrollments', {
			user: user.id,
			course: course.id,
			role: 'student',
			status: 'active',
		});
		expect(duplicateEnrollment.status).toBe(400);
		expect(duplicateEnrollment.body.errors[0].extensions.code).toBe('RECORD_NOT_UNIQUE');

		await addMember(group, user);
		const duplicateMember = await admin.post('/items/community_members', { group: group.id, user: user.id });
		expect(duplicateMember.body.errors[0].extensions.code).toBe('RECORD_NOT_UNIQUE');

		const secondGroup = await admin.post('/items/community_groups', { course: course.id, name: 'Second group' });
		expect(secondGroup.body.errors[0].extensions.code).toBe('RECORD_NOT_UNIQUE');

		const post = await admin.ok<{ id: number }>('POST', '/items/community_posts', {
			group: group.id,
			author: user.id,
			title: 't',
			body: 'b',
		});
		await admin.ok('POST', '/items/community_post_reactions', { post: post.id, user: user.id, emoji: '👍' });
		const duplicateReaction = await admin.post('/items/community_post_reactions', { post: post.id, user: user.id, emoji: '👍' });
		expect(duplicateReaction.body.errors[0].extensions.code).toBe('RECORD_NOT_UNIQUE');

		const first = await admin.ok<{ id: number; seq: number }>('POST', '/items/community_messages', {
			group: group.id,
			sender: user.id,
			body: 'one',
			client_id: 'c-1',
			seq: 7,
		});
		expect(Number(first.seq)).toBe(1);
		await admin.ok('POST', '/items/community_message_reactions', { message: first.id, user: user.id, emoji: '👍' });
		const duplicateMessageReaction = await admin.post('/items/community_message_reactions', {
			message: first.id,
			user: user.id,
			emoji: '👍',
		});
		expect(duplicateMessageReaction.body.errors[0].extensions.code).toBe('RECORD_NOT_UNIQUE');
		const sameClientId = await admin.post('/items/community_messages', {
			group: group.id,
			sender: user.id,
			body: 'again',
			client_id: 'c-1',
		});
		expect(sameClientId.body.errors[0].extensions.code).toBe('RECORD_NOT_UNIQUE');
		const second = await admin.ok<{ seq: number }>('POST', '/items/community_messages', {
			group: group.id,
			sender: user.id,
			body: 'other',
			client_id: 'c-2',
			seq: 1,
		});
		expect(Number(second.seq)).toBe(2);

		await admin.ok('POST', '/items/community_message_receipts', { group: group.id, user: user.id });
		const secondMarker = await admin.post('/items/community_message_receipts', { group: group.id, user: user.id });
		expect(secondMarker.body.errors[0].extensions.code).toBe('RECORD_NOT_UNIQUE');

		const rows = await admin.ok<unknown[]>('GET', `/items/community_messages?filter[group][_eq]=${group.id}`);
		expect(rows).toHaveLength(2);
	});
});
