import type { Accountability, EndpointExtensionContext } from '@directus/types';
import type { Request, RequestHandler, Router } from 'express';
import { NotificationSettingsInput } from '../domain/notification-settings.js';
import { ForbiddenError } from '../errors/index.js';
import { callerOf, requireUser } from '../rules/caller.js';
import { parseId, parseInput } from '../rules/parse-input.js';
import { readDeliveryConfig } from './config.js';
import { registerDeviceAsSystem, removeDevice } from './devices.js';
import { DeviceInput, GroupNotificationDefaultsInput, SuppressionInput } from './inputs.js';
import { groupDefaults, mySettings, updateGroupDefaults, updateMySettings } from './member-settings.js';
import { suppressAddressAsSystem, unsubscribeAsSystem, validWebhookToken } from './suppression.js';
import { unsubscribePage } from './unsubscribe-page.js';
import { validUnsubscribe } from './unsubscribe.js';

type Routed = (handler: (req: Request & { accountability?: Accountability }) => Promise<unknown>) => RequestHandler;

/** The /community routes of notification delivery: devices, settings, unsubscribe, suppressions (docs/notifications.md). */
export function registerDeliveryRoutes(router: Router, context: EndpointExtensionContext, route: Routed): void {
	const config = readDeliveryConfig(context.env);
	const knex = context.database;
	const body = (req: Request) => req.body ?? {};

	router.post(
		'/devices',
		route(async (req) => registerDeviceAsSystem(knex, config, requireUser(req.accountability).userId, parseInput(DeviceInput, body(req)))),
	);
	router.delete(
		'/devices/:token',
		route(async (req) => removeDevice(knex, requireUser(req.accountability).userId, String(req.params['token']))),
	);
	router.get(
		'/me/notification-settings',
		route(async (req) => mySettings(knex, requireUser(req.accountability))),
	);
	router.patch(
		'/me/notification-settings',
		route(async (req) => updateMySettings(knex, requireUser(req.accountability), parseInput(NotificationSettingsInput, body(req)))),
	);
	router.get(
		'/groups/:id/notification-defaults',
		route(async (req) => groupDefaults(knex, requireUser(req.accountability), parseId(req.params['id']))),
	);
	router.patch(
		'/groups/:id/notification-defaults',
		route(async (req) =>
			updateGroupDefaults(
				knex,
				requireUser(req.accountability),
				parseId(req.params['id']),
				parseInput(GroupNotificationDefaultsInput, body(req)),
			),
		),
	);

	// RFC 8058: link scanners fetch with GET, so GET only shows a button; the POST (the mail client's
	// one-click, or the button) unsubscribes, with the signed link as the only credential.
	router.get('/email/unsubscribe', (req, res) => {
		const valid = validUnsubscribe(config.secret, req.query['u'], req.query['s']);
		res
			.status(valid ? 200 : 400)
			.type('html')
			.send(unsubscribePage(valid ? 'confirm' : 'invalid'));
	});
	router.post('/email/unsubscribe', async (req, res, next) => {
		try {
			const userId = req.query['u'];
			const done = validUnsubscribe(config.secret, userId, req.query['s']) && (await unsubscribeAsSystem(knex, userId));
			res
				.status(done ? 200 : 400)
				.type('html')
				.send(unsubscribePage(done ? 'done' : 'invalid'));
		} catch (error) {
			next(error);
		}
	});

	router.post(
		'/email/suppressions',
		route(async (req) => {
			const caller = callerOf(req.accountability);
			const trusted = caller.kind === 'admin' || validWebhookToken(config.emailWebhookToken, req.headers['x-community-webhook-token']);
			if (!trusted) {
				requireUser(req.accountability);
				throw new ForbiddenError();
			}
			const input = parseInput(SuppressionInput, body(req));
			return suppressAddressAsSystem(knex, input.email, input.reason);
		}),
	);
}
