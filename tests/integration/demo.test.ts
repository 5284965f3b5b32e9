import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Api, asAdmin, directusUrl, login } from '../support/api.js';
import { ROOT } from '../support/directus-instance.js';

function runDemo(): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [path.join(ROOT, 'scripts/demo.mjs')], {
			env: { ...process.env, CONFIG_PATH: inject('directus').configPath },
		});
		let output = '';
		child.stdout.on('data', (chunk) => (output += chunk));
		child.stderr.on('data', (chunk) => (output += chunk));
		child.on('error', reject);
		child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(output))));
	});
}

function passwordOf(output: string, email: string): string {
	const line = output.split('\n').find((l) => l.includes(email));
	const match = line?.match(new RegExp(`${email.replace('.', '\\.')}'?\\s*│\\s*'?([\\w-]+)`));
	if (!match?.[1]) throw new Error(`no password for ${email} in:\n${output}`);
	return match[1];
}

describe('npm run demo', () => {
	it('creates a demo course whose people see what their enrollment allows, and can run again', async () => {
		await runDemo();
		const output = await runDemo();
		const admin = await asAdmin();
		const courses = await admin.ok<unknown[]>('GET', '/items/courses?filter[code][_eq]=DEMO-101');
		expect(courses).toHaveLength(1);

		const student = new Api(directusUrl(), await login('demo.student@example.com', passwordOf(output, 'demo.student@example.com')));
		const posts = await student.ok<Array<{ title: string | null; status: string; reaction_counts: Record<string, number> }>>(
			'GET',
			'/items/community_posts?fields=title,status,reaction_counts&sort=id',
		);
		// Approval is on: the student's reply and question wait for the instructor.
		expect(posts.map((p) => p.status)).toEqual(['published', 'pending', 'pending']);
		expect(posts[0]!.reaction_counts).toEqual({ '👍': 1 });
		expect(await student.ok<unknown[]>('GET', '/items/community_messages')).toHaveLength(4);
		const [group] = await student.ok<Array<{ unread_messages: number }>>('GET', '/community/me/groups');
		expect(group!.unread_messages).toBe(2);
		const instructor = new Api(
			directusUrl(),
			await login('demo.instructor@example.com', passwordOf(output, 'demo.instructor@example.com')),
		);
		const pendingNotices = await instructor.ok<unknown[]>('GET', '/items/community_notifications?filter[type][_eq]=post_pending');
		expect(pendingNotices).toHaveLength(2);

		const expired = new Api(directusUrl(), await login('demo.expired@example.com', passwordOf(output, 'demo.expired@example.com')));
		expect(await expired.ok<unknown[]>('GET', '/items/community_posts')).toEqual([]);
		const pending = new Api(directusUrl(), await login('demo.pending@example.com', passwordOf(output, 'demo.pending@example.com')));
		expect(await pending.ok<unknown[]>('GET', '/items/community_groups')).toEqual([]);
	});
});
