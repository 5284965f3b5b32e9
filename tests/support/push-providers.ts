import { createECDH, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

/**
 * Local stand-ins for the push providers, speaking each one's documented protocol: the request shape, the
 * auth header they check, and their error answers, so the bundle's clients are tested against the wire format
 * (these machines reach no provider). A token's prefix picks the answer: `dead-` → the provider's
 * "unregistered", `flaky-` → 503 with Retry-After once, then success, `hang-` → no answer until `release()`.
 */

export interface ReceivedPush {
	provider: 'fcm' | 'apns' | 'web';
	token: string;
	/** The OAuth access token (FCM) the request carried: tells which instance sent it. */
	bearer: string;
	headers: Record<string, string>;
	payload: any;
	status: number;
}

const listen = async (server: Server | http2.Http2Server): Promise<number> =>
	new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
const close = (server: Server | http2.Http2Server) => new Promise<void>((resolve) => server.close(() => resolve()));

async function readBody(req: IncomingMessage | http2.Http2ServerRequest): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

/** Answers by token prefix; `hang-` requests wait for release(). */
class Behaviour {
	readonly received: ReceivedPush[] = [];
	private readonly flakySeen = new Set<string>();
	private hanging: Array<() => void> = [];
	private holding = true;

	answer(token: string): 'dead' | 'retry' | 'ok' | 'hang' {
		if (token.startsWith('dead-')) return 'dead';
		if (token.startsWith('flaky-') && !this.flakySeen.has(token)) {
			this.flakySeen.add(token);
			return 'retry';
		}
		if (token.startsWith('hang-') && this.holding) return 'hang';
		return 'ok';
	}

	hang(respond: () => void) {
		this.hanging.push(respond);
	}

	get hangingCount() {
		return this.hanging.length;
	}

	release() {
		this.holding = false;
		for (const respond of this.hanging.splice(0)) respond();
	}
}

export interface FcmFake {
	url: string;
	tokenUrl: string;
	projectId: string;
	serviceAccount: Record<string, string>;
	received: ReceivedPush[];
	tokensIssued: number;
	hangingCount(): number;
	release(): void;
	close(): Promise<void>;
}

/** FCM HTTP v1: an OAuth2 token endpoint (JWT bearer grant, RS256) and `messages:send`. */
export async function startFcmFake(): Promise<FcmFake> {
	const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const behaviour = new Behaviour();
	const issued = new Set<string>();
	let counter = 0;
	const projectId = 'test-project';
	let url = '';
	const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
		const body = (await readBody(req)).toString();
		const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
			res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
		if (req.method === 'POST' && req.url === '/token') {
			const form = new URLSearchParams(body);
			try {
				if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') throw new Error('grant_type');
				const claims = jwt.verify(form.get('assertion') ?? '', publicKey, {
					algorithms: ['RS256'],
					audience: `${url}/token`,
				}) as jwt.JwtPayload;
				if (
					claims['scope'] !== 'https://www.googleapis.com/auth/firebase.messaging' ||
					claims['iss'] !== 'fcm@test-project.iam.gserviceaccount.com'
				)
					throw new Error('claims');
			} catch {
				return json(400, { error: 'invalid_grant' });
			}
			const token = `ya29.test-${++counter}`;
			issued.add(token);
			return json(200, { access_token: token, expires_in: 3600, token_type: 'Bearer' });
		}
		if (req.method === 'POST' && req.url === `/v1/projects/${projectId}/messages:send`) {
			const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
			if (!issued.has(bearer)) return json(401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
			const payload = JSON.parse(body);
			const token = String(payload.message?.token ?? '');
			const answer = behaviour.answer(token);
			const record = (status: number) =>
				behaviour.received.push({ provider: 'fcm', token, bearer, headers: req.headers as Record<string, string>, payload, status });
			if (answer === 'dead') {
				record(404);
				return json(404, {
					error: {
						code: 404,
						status: 'NOT_FOUND',
						message: 'Requested entity was not found.',
						details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }],
					},
				});
			}
			if (answer === 'retry') {
				record(503);
				return json(503, { error: { code: 503, status: 'UNAVAILABLE' } }, { 'retry-after': '1' });
			}
			record(200);
			const respond = () => json(200, { name: `projects/${projectId}/messages/${randomBytes(6).toString('hex')}` });
			return answer === 'hang' ? behaviour.hang(respond) : respond();
		}
		json(404, { error: { code: 404, status: 'NOT_FOUND' } });
	});
	const port = await listen(server);
	url = `http://127.0.0.1:${port}`;
	return {
		url,
		tokenUrl: `${url}/token`,
		projectId,
		serviceAccount: {
			type: 'service_account',
			project_id: projectId,
			client_email: 'fcm@test-project.iam.gserviceaccount.com',
			private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
			token_uri: `${url}/token`,
		},
		received: behaviour.received,
		get tokensIssued() {
			return counter;
		},
		hangingCount: () => behaviour.hangingCount,
		release: () => behaviour.release(),
		close: () => {
			behaviour.release();
			server.closeAllConnections();
			return close(server);
		},
	};
}

export interface ApnsFake {
	url: string;
	keyId: string;
	teamId: string;
	privateKeyPem: string;
	received: ReceivedPush[];
	close(): Promise<void>;
}

/** APNs over HTTP/2 (cleartext h2 with prior knowledge here; TLS in production), provider-token (ES256 JWT) auth. */
export async function startApnsFake(topic: string): Promise<ApnsFake> {
	const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
	const keyId = 'ABC123DEFG';
	const teamId = 'TEAM123456';
	const behaviour = new Behaviour();
	const server = http2.createServer();
	server.on('stream', async (stream, headers) => {
		const chunks: Buffer[] = [];
		for await (const chunk of stream) chunks.push(chunk as Buffer);
		const respond = (status: number, body?: unknown, extra: Record<string, string> = {}) => {
			stream.respond({ ':status': status, 'apns-id': randomBytes(16).toString('hex'), ...extra });
			stream.end(body === undefined ? undefined : JSON.stringify(body));
		};
		const path = String(headers[':path']);
		const match = /^\/3\/device\/([^/]+)$/.exec(path);
		if (headers[':method'] !== 'POST' || !match) return respond(404, { reason: 'BadPath' });
		const bearer = String(headers['authorization'] ?? '').replace(/^bearer /, '');
		try {
			const decoded = jwt.verify(bearer, publicKey, { algorithms: ['ES256'], complete: true });
			if (decoded.header.kid !== keyId || (decoded.payload as jwt.JwtPayload).iss !== teamId) throw new Error('claims');
		} catch {
			return respond(403, { reason: 'InvalidProviderToken' });
		}
		if (headers['apns-topic'] !== topic) return respond(400, { reason: 'DeviceTokenNotForTopic' });
		const token = decodeURIComponent(match[1]!);
		const answer = behaviour.answer(token);
		const status = answer === 'dead' ? 410 : answer === 'retry' ? 503 : 200;
		behaviour.received.push({
			provider: 'apns',
			token,
			bearer,
			headers: headers as unknown as Record<string, string>,
			payload: JSON.parse(Buffer.concat(chunks).toString()),
			status,
		});
		if (answer === 'dead') return respond(410, { reason: 'Unregistered', timestamp: Date.now() });
		if (answer === 'retry') return respond(503, { reason: 'ServiceUnavailable' }, { 'retry-after': '1' });
		respond(200);
	});
	const port = await listen(server);
	return {
		url: `http://127.0.0.1:${port}`,
		keyId,
		teamId,
		privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
		received: behaviour.received,
		close: () => close(server),
	};
}

export interface WebPushSubscription {
	endpoint: string;
	keys: { p256dh: string; auth: string };
}

export interface WebPushFake {
	url: string;
	vapid: { publicKey: string; privateKey: string };
	received: ReceivedPush[];
	/** A browser's subscription: its endpoint on this server and the keys its payloads are encrypted for. */
	subscribe(name: string): WebPushSubscription;
	close(): Promise<void>;
}

const require = createRequire(import.meta.url);
// web-push's own encrypted-content-coding dependency decrypts what the browser would.
const ece = require('http_ece') as { decrypt(buffer: Buffer, params: Record<string, unknown>): Buffer };

/** A push service (RFC 8030): checks the VAPID header (RFC 8292), decrypts the aes128gcm payload (RFC 8291). */
export async function startWebPushFake(vapid: { publicKey: string; privateKey: string }): Promise<WebPushFake> {
	const behaviour = new Behaviour();
	const browsers = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: Buffer }>();
	const vapidKey: KeyObject = createPublicKey({
		key: {
			kty: 'EC',
			crv: 'P-256',
			x: Buffer.from(vapid.publicKey, 'base64url').subarray(1, 33).toString('base64url'),
			y: Buffer.from(vapid.publicKey, 'base64url').subarray(33, 65).toString('base64url'),
		},
		format: 'jwk',
	});
	let url = '';
	const server = createServer(async (req, res) => {
		const body = await readBody(req);
		const name = decodeURIComponent(String(req.url).replace(/^\/push\//, ''));
		const browser = browsers.get(name);
		if (req.method !== 'POST' || !browser) return res.writeHead(404).end();
		const auth = /^vapid t=([^,]+), k=(.+)$/.exec(String(req.headers.authorization ?? ''));
		try {
			if (!auth || auth[2] !== vapid.publicKey) throw new Error('key');
			jwt.verify(auth[1]!, vapidKey, { algorithms: ['ES256'], audience: url });
		} catch {
			return res.writeHead(403).end();
		}
		if (req.headers['content-encoding'] !== 'aes128gcm' || !req.headers['ttl']) return res.writeHead(400).end();
		const payload = JSON.parse(ece.decrypt(body, { version: 'aes128gcm', privateKey: browser.ecdh, authSecret: browser.auth }).toString());
		const answer = behaviour.answer(name);
		const status = answer === 'dead' ? 410 : answer === 'retry' ? 503 : 201;
		behaviour.received.push({ provider: 'web', token: name, bearer: '', headers: req.headers as Record<string, string>, payload, status });
		res.writeHead(status, status === 201 ? { location: `${url}/message/${randomBytes(6).toString('hex')}` } : { 'retry-after': '1' }).end();
	});
	const port = await listen(server);
	url = `http://127.0.0.1:${port}`;
	return {
		url,
		vapid,
		received: behaviour.received,
		subscribe(name) {
			const ecdh = createECDH('prime256v1');
			ecdh.generateKeys();
			const auth = randomBytes(16);
			browsers.set(name, { ecdh, auth });
			return {
				endpoint: `${url}/push/${encodeURIComponent(name)}`,
				keys: { p256dh: ecdh.getPublicKey('base64url'), auth: auth.toString('base64url') },
			};
		},
		close: () => close(server),
	};
}
