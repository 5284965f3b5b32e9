import { describe, expect, it } from 'vitest';
import { MEMBER_POLICY, INSTRUCTOR_POLICY } from '../../extensions/lms-community/src/lib/access/rules.js';
import { COMPOSITE_INDEXES } from '../../extensions/lms-community/src/lib/setup/indexes.js';
import { asAdmin } from '../support/api.js';
import { runSetup } from '../support/cli.js';

describe('directus community setup', () => {
	it('changes nothing when run again on a set-up database', async () => {
		const report = await runSetup();
		expect(report.schema.map((s) => s.changed)).toEqual([false, false]);
		expect(report.access).toEqual({ created: [], updated: [] });
		expect(report.app).toEqual([]);
		// Every composite index, then the search index (nothing new to make on a second run), then the change cursor's triggers.
		expect(report.indexes).toEqual([
			...COMPOSITE_INDEXES.map((index) => index.name),
			expect.stringMatching(/^search: /),
			expect.stringMatching(/^change cursor: /),
		]);
		expect(report.groups).toEqual([]);
	});

	it('puts the Community module on the module bar and the "Pending posts" bookmark in the app, once', async () => {
		const admin = await asAdmin();
		const settings = await admin.ok<{ module_bar: Array<{ id: string; enabled: boolean }> }>('GET', '/settings?fields=module_bar');
		expect(settings.module_bar.find((entry) => entry.id === 'community-moderation')).toMatchObject({ enabled: true });
		const bookmarks = await admin.ok<any[]>('GET', '/presets?filter[bookmark][_eq]=Pending posts&filter[collection][_eq]=community_posts');
		expect(bookmarks).toHaveLength(1);
		expect(bookmarks[0]).toMatchObject({ user: null, role: null, filter: { _and: [{ status: { _eq: 'pending' } }] } });

		// An admin who switches the module off keeps that choice.
		const switchedOff = settings.module_bar.map((entry) => (entry.id === 'community-moderation' ? { ...entry, enabled: false } : entry));
		await admin.ok('PATCH', '/settings', { module_bar: switchedOff });
		try {
			expect((await runSetup()).app).toEqual([]);
			const after = await admin.ok<{ module_bar: Array<{ id: string; enabled: boolean }> }>('GET', '/settings?fields=module_bar');
			expect(after.module_bar.find((entry) => entry.id === 'community-moderation')?.enabled).toBe(false);
		} finally {
			await admin.ok('PATCH', '/settings', { module_bar: settings.module_bar });
		}
	});

	it('keeps what an admin added or changed elsewhere, and repairs only its own rows', async () => {
		const admin = await asAdmin();
		const extraPermission = await admin.ok<{ id: number }>('POST', '/permissions', {
			policy: MEMBER_POLICY.id,
			collection: 'community_posts',
			action: 'delete',
			fields: ['*'],
			permissions: {},
		});
		const otherRole = await admin.ok<{ id: string }>('POST', '/roles', {
			name: 'Teaching assistant',
			policies: { create: [{ policy: MEMBER_POLICY.id }] },
		});
		await admin.ok('POST', '/fields/community_posts', { field: 'admin_tag', type: 'string', meta: { note: 'added by an admin' } });
		await admin.ok('PATCH', `/policies/${INSTRUCTOR_POLICY.id}`, { app_access: false });

		try {
			const report = await runSetup();
			expect(report.schema.map((s) => s.changed)).toEqual([false, false]);
			expect(report.access).toEqual({ created: [], updated: ['policy Community instructor'] });

			const policy = await admin.ok<{ app_access: boolean }>('GET', `/policies/${INSTRUCTOR_POLICY.id}`);
			expect(policy.app_access).toBe(true);
			const kept = await admin.get(`/permissions/${extraPermission.id}`);
			expect(kept.status).toBe(200);
			expect((await admin.get('/fields/community_posts/admin_tag')).status).toBe(200);
			const roles = await admin.ok<Array<{ name: string }>>('GET', '/roles?limit=200');
			expect(roles.filter((r) => r.name === 'Student')).toHaveLength(1);
			expect(roles.filter((r) => r.name === 'Instructor')).toHaveLength(1);
			expect(roles.map((r) => r.name)).toContain('Teaching assistant');

			const rows = await admin.ok<Array<{ collection: string; action: string }>>(
				'GET',
				`/permissions?filter[policy][_eq]=${MEMBER_POLICY.id}&limit=200`,
			);
			const readRows = rows.filter((r) => r.action === 'read').map((r) => r.collection);
			expect(new Set(readRows).size).toBe(readRows.length);
			expect(readRows.sort()).toEqual(
				MEMBER_POLICY.permissions
					.filter((p) => p.action === 'read')
					.map((p) => p.collection)
					.sort(),
			);
		} finally {
			await admin.delete(`/permissions/${extraPermission.id}`);
			await admin.delete(`/roles/${otherRole.id}`);
			await admin.delete('/fields/community_posts/admin_tag');
		}
	});
});
