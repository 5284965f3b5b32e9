import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Api, eventually, login, unique } from '../support/api.js';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser.js';
import { startDirectusInstance, type DirectusInstance } from '../support/directus-instance.js';
import { STUDENT_ROLE_ID, INSTRUCTOR_ROLE_ID } from '../../extensions/lms-community/src/lib/access/rules.js';

/**
 * Its own Directus: the Core licence's three admin-app seats are shared by everything on one instance, and
 * this test needs one of them for its instructor.
 */
let directus: DirectusInstance;
let browser: Browser;
let admin: Api;
beforeAll(async () => {
	[directus, browser] = await Promise.all([startDirectusInstance({ db: inject('directus').db }), launchChromium()]);
	admin = new Api(directus.url, await login(directus.admin.email, directus.admin.password, directus.url));
});
afterAll(async () => {
	await browser?.close();
	await directus?.stop();
});

interface Person {
	id: string;
	email: string;
	password: string;
	api: Api;
}

async function person(firstName: string, role: string): Promise<Person> {
	const email = `${unique(firstName)}@example.com`.toLowerCase();
	const password = unique('pw');
	const { id } = await admin.ok('POST', '/users', { email, password, first_name: firstName, last_name: 'Tester', role, status: 'active' });
	return { id, email, password, api: new Api(directus.url, await login(email, password, directus.url)) };
}

const notificationsOf = (user: Person, type: string) =>
	user.api.ok<any[]>('GET', `/items/community_notifications?limit=200&filter[type][_eq]=${type}`);

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });

describe('the Community module in the admin app', () => {
	it('an instructor logs in, approves a pending post and resolves a report with clicks', async () => {
		const course = await admin.ok('POST', '/items/courses', { title: 'Algebra I', code: unique('ALG'), status: 'published' });
		const group = await eventually(
			async () => (await admin.ok<any[]>('GET', `/items/community_groups?filter[course][_eq]=${course.id}`))[0],
		);
		await admin.ok('PATCH', `/items/community_groups/${group.id}`, { name: 'Algebra I — discussion' });
		// An Instructor-role user: admin-app access (one of the licence's three seats).
		const teacher = await person('Grace', INSTRUCTOR_ROLE_ID);
		await admin.ok('POST', '/items/enrollments', { user: teacher.id, course: course.id, role: 'instructor', status: 'active' });
		const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((name) => person(name, STUDENT_ROLE_ID)));
		for (const student of [alice!, bob!, carol!]) {
			await admin.ok('POST', '/items/enrollments', { user: student.id, course: course.id, role: 'student', status: 'active' });
			await student.api.ok('POST', `/community/groups/${group.id}/join`);
		}
		const spam = await carol!.api.ok('POST', '/items/community_posts', {
			group: group.id,
			title: 'Cheap essays, 24h delivery',
			body: 'Visit my shop for essays.',
		});
		await bob!.api.ok('POST', '/community/reports', { post: spam.id, reason: 'spam', note: 'Advertising' });
		await admin.ok('PATCH', `/items/community_groups/${group.id}`, { require_post_approval: true });
		const question = await alice!.api.ok('POST', '/items/community_posts', {
			group: group.id,
			title: 'How do I factor x² − 5x + 6?',
			body: 'I tried the quadratic formula but got lost.',
		});
		expect(question.status).toBe('pending');

		const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
		// Every request of the admin app the read policy refuses would be a broken page: none may happen.
		const refused: string[] = [];
		page.on('response', async (response) => {
			if (response.status() !== 403) return;
			const body = await response.text().catch(() => '');
			if (body.includes('QUERY_NOT_ALLOWED')) refused.push(`${response.request().method()} ${response.url()} → ${body}`);
		});
		try {
			await page.goto(`${directus.url}/admin/login`);
			await page.locator('input[type="email"]').fill(teacher.email);
			await page.locator('input[type="password"]').fill(teacher.password);
			await page.keyboard.press('Enter');
			await page.waitForURL(/\/admin\/(content|users|files|community-moderation)/, { timeout: 30_000 });

			// The module bar links to the module; the instructor opens it like any other module.
			await page.locator('a[href$="/admin/community-moderation"]').first().click();
			const pending = page.locator('[data-test="pending-post"]', { hasText: 'How do I factor' });
			const reported = page.locator('[data-test="reported-item"]', { hasText: 'Cheap essays' });
			await pending.waitFor({ timeout: 30_000 });
			await reported.waitFor();
			await expect(reported.textContent()).resolves.toContain('Advertising');
			await shot(page, 'community-queue');

			// A report made while the queue is open appears without a reload: pushed over the socket, not polled
			// (the module's fallback refresh runs only while its socket is down, and once a minute).
			const chat = await carol!.api.ok('POST', '/items/community_messages', { group: group.id, body: 'Buy followers now' });
			await bob!.api.ok('POST', '/community/reports', { message: chat.id, reason: 'spam' });
			await page.locator('[data-test="reported-item"]', { hasText: 'Buy followers' }).waitFor({ timeout: 20_000 });

			await pending.locator('input.note').fill('Good question: welcome!');
			await pending.getByRole('button', { name: 'Approve' }).click();
			await page.getByRole('status').filter({ hasText: 'Post approved' }).waitFor();
			await pending.waitFor({ state: 'detached' });

			await reported.locator('input.note').fill('Advertising is not allowed here');
			await reported.getByRole('button', { name: 'Hide' }).click();
			await page.getByRole('status').filter({ hasText: 'Item hidden' }).waitFor();
			await reported.waitFor({ state: 'detached' });
			await shot(page, 'community-queue-done');

			await page.locator('[data-tab="members"]').click();
			await page.locator('[data-test="member-row"]', { hasText: 'Alice' }).waitFor();
			await shot(page, 'community-members');
			await page.locator('[data-tab="activity"]').click();
			await page.locator('[data-test="inactive-member"]').first().waitFor();
			await shot(page, 'community-activity');

			// Participation for grading: Alice took part (her approved question); Bob only reported: he stands out.
			await page.locator('[data-tab="participation"]').click();
			await page.locator('[data-test="participation-row"]', { hasText: 'Alice' }).waitFor();
			await page.locator('[data-test="participation-silent"]', { hasText: 'Bob' }).waitFor();
			await page.locator('button[data-sort="replies"]').click();
			await shot(page, 'community-participation');
			const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test="export-csv"]').click()]);
			expect(download.suggestedFilename()).toBe(`participation-group-${group.id}.csv`);
			const csv = await readFile((await download.path())!, 'utf8');
			expect(csv.split('\r\n')[0]).toMatch(/^user,email,first_name,last_name,/);
			// The instructor teaches the group from the admin app: the gradebook's e-mail is in the file.
			expect(csv).toContain(alice!.email);
			expect(csv.trim().split('\r\n')).toHaveLength(4);

			// The Content module still lists community posts for an instructor: scoped rows, scoped counts.
			await page.goto(`${directus.url}/admin/content/community_posts`);
			await page.getByText('How do I factor', { exact: false }).first().waitFor({ timeout: 30_000 });
			await shot(page, 'content-community-posts');
		} finally {
			await page.close();
		}

		expect(refused).toEqual([]);
		expect((await admin.ok('GET', `/items/community_posts/${question.id}`)).status).toBe('published');
		expect((await admin.ok('GET', `/items/community_posts/${spam.id}`)).status).toBe('hidden');
		const [report] = await admin.ok<any[]>('GET', `/items/community_reports?filter[post][_eq]=${spam.id}`);
		expect(report).toMatchObject({
			status: 'resolved',
			resolution: 'hidden',
			resolved_by: teacher.id,
			resolution_note: 'Advertising is not allowed here',
		});
		const approved = await eventually(async () => (await notificationsOf(alice!, 'post_approved')).find((n) => n.post === question.id));
		expect(approved.data).toEqual({ note: 'Good question: welcome!' });
		await eventually(async () => (await notificationsOf(bob!, 'report_resolved')).find((n) => n.post === spam.id));
	});
});
