import { describe, expect, it } from 'vitest';
import { openChat } from '../../docs/examples/chat-client.js';
import { directusUrl, eventually } from '../support/api.js';
import { communityFixture } from '../support/community.js';

describe('the client example of docs/realtime.md', () => {
	it('logs in with the SDK, chats, and catches up after a disconnect without losing or doubling anything', async () => {
		const { group, students } = await communityFixture({ students: 2 });
		const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
		const aliceChat = await openChat(directusUrl(), alice.email, alice.password, group.id);
		const bobChat = await openChat(directusUrl(), bob.email, bob.password, group.id);
		try {
			await aliceChat.send('one');
			await eventually(async () => bobChat.messages.size === 1);
			bobChat.socket.disconnect();
			await aliceChat.send('two');
			await aliceChat.send('three');
			bobChat.socket.connect();
			await eventually(async () => bobChat.messages.size === 3);
			expect([...bobChat.messages.values()].map((m) => m.body)).toEqual(['one', 'two', 'three']);
			expect([...bobChat.messages.keys()]).toEqual([1, 2, 3]);
		} finally {
			await aliceChat.close();
			await bobChat.close();
		}
	});
});
