import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ApiExtensionContext } from '@directus/types';
import type { Platform } from '../domain/push-message.js';
import type { DeliveryConfig } from './config.js';
import { createApnsProvider } from './push/apns.js';
import { createFcmProvider } from './push/fcm.js';
import type { PushProvider } from './push/provider.js';
import { createWebPushProvider } from './push/web-push.js';
import { cleanUpOutbox, runDeliveryRound, type MailSender } from './worker.js';

export interface DeliveryRuntime {
	stop(): Promise<void>;
}

/**
 * Runs the outbox on this instance: a round every `intervalMs`, never two at once here, and as many
 * instances as there are (the claim keeps them apart), each round followed by one batch of cleanup.
 * Started on server.start, stopped on server.stop.
 */
export function startDeliveries(
	context: Pick<ApiExtensionContext, 'database' | 'services' | 'getSchema' | 'logger'>,
	config: DeliveryConfig,
): DeliveryRuntime {
	const worker = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
	const providers: Partial<Record<Platform, PushProvider>> = {};
	if (config.fcm) providers.android = createFcmProvider(config.fcm);
	if (config.apns) providers.ios = createApnsProvider(config.apns);
	if (config.webPush) providers.web = createWebPushProvider(config.webPush);
	const { MailService } = context.services;
	const mailAsSystem = async (): Promise<MailSender> =>
		new MailService({ schema: await context.getSchema({ database: context.database }), knex: context.database, accountability: null });

	const deps = { knex: context.database, config, worker, mailAsSystem, providers, logger: context.logger };
	let running: Promise<void> | null = null;
	let stopped = false;
	const tick = () => {
		if (running || stopped) return;
		running = (async () => {
			// A full batch means more is due: go again at once rather than a whole interval later.
			while (!stopped && (await runDeliveryRound(deps)) >= config.batchSize);
			if (!stopped) await cleanUpOutbox(deps);
		})()
			.catch((error) => context.logger.error(error, 'community: delivery round failed'))
			.finally(() => (running = null));
	};
	const timer = setInterval(tick, config.intervalMs);
	timer.unref();
	return {
		async stop() {
			stopped = true;
			clearInterval(timer);
			await running;
			await Promise.all(Object.values(providers).map((provider) => provider.close?.()));
		},
	};
}
