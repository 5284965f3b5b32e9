import type { Knex } from 'knex';
import { webPushEndpointAllowed } from '../domain/push-message.js';
import { InvalidPayloadError } from '../errors/index.js';
import { nowIso } from '../rules/clock.js';
import type { DeliveryConfig } from './config.js';
import type { DeviceInput } from './inputs.js';

const TABLE = 'community_devices';
/** Devices kept per member: registering one more forgets the least recently registered. */
export const MAX_DEVICES_PER_USER = 20;

/**
 * Registers a push target for the caller. A token is one device: registered by someone else before (a
 * shared phone, a new login), it moves to the caller. Runs as the system on the caller's behalf: members
 * have no access to the devices collection itself.
 */
export async function registerDeviceAsSystem(knex: Knex, config: DeliveryConfig, userId: string, input: DeviceInput) {
	if (input.platform === 'web' && !webPushEndpointAllowed(input.token, config.webPush?.allowedHosts ?? []))
		throw new InvalidPayloadError({ reason: 'token: a Web Push endpoint of a push service this server allows' });
	const now = nowIso();
	const values = {
		user: userId,
		platform: input.platform,
		app_id: input.app_id ?? null,
		web_keys: input.keys ? JSON.stringify(input.keys) : null,
		date_updated: now,
	};
	await knex.transaction(async (trx) => {
		await trx(TABLE)
			.insert({ token: input.token, ...values, date_created: now })
			.onConflict('token')
			.merge(values);
		const kept: Array<{ id: number }> = await trx(TABLE)
			.select('id')
			.where({ user: userId })
			.orderBy([
				{ column: 'date_updated', order: 'desc' },
				{ column: 'id', order: 'desc' },
			])
			.limit(MAX_DEVICES_PER_USER);
		await trx(TABLE)
			.where({ user: userId })
			.whereNotIn(
				'id',
				kept.map((row) => row.id),
			)
			.delete();
	});
	const device = await knex(TABLE).select('id', 'platform', 'app_id', 'date_created', 'date_updated').where({ token: input.token }).first();
	return { ...device, id: Number(device.id) };
}

/** Forgets one of the caller's devices (logout); someone else's token is left alone and answers the same. */
export async function removeDevice(knex: Knex, userId: string, token: string): Promise<{ removed: number }> {
	return { removed: await knex(TABLE).where({ user: userId, token }).delete() };
}
