/**
 * `npm run bench:send [-- --no-freeze]`: the send path alone. One PostgreSQL instance, one sender, 30 messages
 * one after another over the socket: milliseconds per message, with and without Directus's frozen schema cache.
 */
import { connectClient } from './lib/clients.js';
import { startSingle } from './lib/deployments.js';
import { seedChatRooms, studentToken } from './lib/seed.js';
import { adminOf } from './lib/targets.js';

const freeze = !process.argv.includes('--no-freeze');

async function main() {
	const deployment = await startSingle('sequential send', 'postgres', { CACHE_SCHEMA_FREEZE_ENABLED: String(freeze) });
	try {
		const seed = await seedChatRooms(await adminOf(deployment), [3]);
		const group = seed.rooms[0]!.group;
		const sender = await connectClient('community', deployment.urls[0]!, studentToken(deployment.secret, seed.sender));
		await sender.join(group);
		for (let i = 0; i < 5; i++) await sender.send(group, 'warm-up', `warm-${i}`);
		const count = 30;
		const started = performance.now();
		for (let i = 0; i < count; i++) {
			const result = await sender.send(group, `hello ${i}`, `m-${i}`);
			if (!result.ok) throw new Error(`send failed: ${result.error}`);
		}
		console.log(
			`CACHE_SCHEMA_FREEZE_ENABLED=${freeze}: ${((performance.now() - started) / count).toFixed(1)} ms per message (sequential, PostgreSQL)`,
		);
		sender.close();
	} finally {
		await deployment.stop();
	}
}

main().then(
	() => process.exit(0),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
