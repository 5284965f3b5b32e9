import type { ActionEventParams, MutationOptions } from '@directus/types';
import type { Knex } from 'knex';
import type { CommunityContext } from './context.js';

type ActionMeta = Record<string, any>;
type ActionHandler = (meta: ActionMeta) => void;
type RegisterAction = (event: string, handler: ActionHandler) => void;

const bundleHandlers = new Map<string, ActionHandler[]>();

/**
 * Registers one of the bundle's action handlers with Directus, and keeps it for actions the bundle defers
 * until its own transactions commit (transactionWithActionsAfterCommit).
 */
export function onAction(register: RegisterAction, event: string, handler: ActionHandler): void {
	register(event, handler);
	bundleHandlers.set(event, [...(bundleHandlers.get(event) ?? []), handler]);
}

/**
 * A transaction whose ItemsService writes reach the bundle's action handlers (broadcasts, notifications,
 * member counts) only after it commits. Directus emits actions as soon as a service call returns, which,
 * inside an outer transaction, is before commit: a handler reading the row on another connection would see
 * the old one. Directus's core emitter is not reachable from extensions, so deferred actions go to the
 * bundle's own handlers only; flows listening to these writes do not see them.
 */
export async function transactionWithActionsAfterCommit<T>(
	context: CommunityContext,
	work: (trx: Knex.Transaction, emitAfterCommit: MutationOptions) => Promise<T>,
): Promise<T> {
	const pending: ActionEventParams[] = [];
	const result = await context.database.transaction((trx) => work(trx, { bypassEmitAction: (params) => pending.push(params) }));
	for (const { event, meta } of pending) {
		for (const name of Array.isArray(event) ? event : [event]) {
			for (const handler of bundleHandlers.get(name) ?? []) {
				try {
					handler(meta);
				} catch (error) {
					context.logger.error(error, `community: deferred ${name} handler failed`);
				}
			}
		}
	}
	return result;
}
