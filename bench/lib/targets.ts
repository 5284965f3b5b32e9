import type { ChatTarget, RoomPlan } from './chat.js';
import type { Deployment } from './deployments.js';
import { AdminApi, studentToken, type ChatSeed } from './seed.js';

export const roomsOf = (seed: ChatSeed): RoomPlan[] => seed.rooms.map((room) => ({ group: room.group, members: room.members }));

export async function adminOf(deployment: Deployment): Promise<AdminApi> {
	const { admin } = deployment.instances[0]!;
	return new AdminApi(deployment.urls[0]!).login(admin.email, admin.password);
}

/** Our socket on a deployment: receivers spread over its instances, the seeded sender on the first. */
export function communityTarget(name: string, deployment: Deployment, seed: ChatSeed, count?: () => Promise<number>): ChatTarget {
	return {
		name,
		protocol: 'community',
		receiverUrls: deployment.urls,
		senderUrl: deployment.urls[0]!,
		serverPids: deployment.pids,
		tokenFor: (user) => studentToken(deployment.secret, user),
		senderToken: studentToken(deployment.secret, seed.sender),
		storedMessages: count,
	};
}

/** Baseline (a): the bare relay, which takes any token. */
export function relayTarget(relay: { url: string; pid: number }): ChatTarget {
	return {
		name: 'bare Socket.IO relay',
		protocol: 'relay',
		receiverUrls: [relay.url],
		senderUrl: relay.url,
		serverPids: [relay.pid],
		tokenFor: () => 'none',
		senderToken: 'none',
	};
}
