import { defineHook } from '@directus/extensions-sdk';
import type { Accountability, Query } from '@directus/types';
import type { Knex } from 'knex';
import { createReadGuardHooks } from '../lib/access/read-guard-hooks.js';
import { DEFAULT_QUERY_LIMIT_MAX } from '../lib/access/read-policy.js';
import { createRequestGuard } from '../lib/access/request-guard.js';
import { guardWebSocketMessage } from '../lib/access/websocket-guard.js';
import type { EnrollmentFacts } from '../lib/access/scope.js';
import { idempotentMessageCreate } from '../lib/community/idempotent-message-route.js';
import {
	ensureGroupsForCourses,
	refreshMemberCountsOf,
	syncAllMemberships,
	syncMembershipsForEnrollments,
} from '../lib/community/membership.js';
import { notifyForMessage } from '../lib/community/messages.js';
import { notifyForPost } from '../lib/community/posts.js';
import { facts } from '../lib/rules/facts.js';
import { handleGroupUpdate, handleMemberUpdate } from '../lib/rules/member-rules.js';
import { handleMessageCreate, handleMessageUpdate } from '../lib/rules/message-rules.js';
import { handlePostCreate, handlePostUpdate } from '../lib/rules/post-rules.js';
import { handleReportCreate } from '../lib/rules/report-rules.js';
import { handleMessageReactionCreate, handleMessageReactionDelete } from '../lib/rules/reaction-rules.js';
import { afterReportCreated } from '../lib/community/reports.js';
import { QUEUE_ACTIONS, queueChangesOfAsSystem, type ItemAction } from '../lib/community/moderation-feed.js';
import { onAction } from '../lib/community/after-commit.js';
import { surviveDirectusRedisOutages } from '../lib/errors/redis-outage.js';
import { answerUnavailable } from '../lib/errors/unavailable.js';
import { limitCommunityWrites } from '../lib/limits/route-limits.js';
import { isPrepaid, readLimitRules, WriteLimits, type WriteKind } from '../lib/limits/write-limits.js';
import { readRealtimeConfig } from '../lib/realtime/config.js';
import { createRealtimeServer } from '../lib/realtime/server.js';
import { setRealtime, useBus, useRealtime } from '../lib/realtime/use-realtime.js';
import { ANNOUNCED_BY_COMMUNITY, loadCoreAnnouncer } from '../lib/community/core-events.js';
import { ensureChangeCursor } from '../lib/setup/change-cursor.js';
import { stepAsideForSchemaChanges } from '../lib/setup/schema-route-guard.js';
import { registerCommunityCli } from '../lib/setup/cli.js';
import { ensureSearchIndexes, isPostgres, SEARCH_INDEX_TABLES } from '../lib/setup/search-index.js';
import { closeHealthProbes } from '../lib/ops/health.js';
import { drainOnShutdownSignals, startDraining } from '../lib/ops/lifecycle.js';
import { communityMetrics } from '../lib/ops/metrics.js';
import { multiInstanceWarnings } from '../lib/ops/multi-instance.js';
import { closeSentinelRelay } from '../lib/redis/sentinel-relay.js';
import { describeRedisTarget } from '../lib/redis/target.js';
import { afterAccountsDeleted, beforeAccountsDeleted } from '../lib/community/account-deletion.js';
import { closeGroupClaims, useGroupClaims } from '../lib/community/group-claims.js';
import { afterPostsDeleted, beforePostsDeleted } from '../lib/community/post-deletion.js';
import { runRetention } from '../lib/community/retention.js';
import { handleCourseDelete, refuseGroupDelete } from '../lib/rules/lifecycle-rules.js';
import { readDeliveryConfig } from '../lib/delivery/config.js';
import { queueDeliveriesAsSystem } from '../lib/delivery/enqueue.js';
import { startDeliveries, type DeliveryRuntime } from '../lib/delivery/runtime.js';
import { installEmailTemplates } from '../lib/delivery/templates.js';

type Payload = Record<string, unknown>;
/** The collections the search index follows with triggers (setup/search-index.ts). */
const INDEXED_COLLECTIONS: readonly string[] = ['community_posts', 'community_messages'];
/** The collections whose triggers number chat changes (setup/change-cursor.ts). */
const CHANGE_CURSOR_COLLECTIONS: readonly string[] = ['community_messages', 'community_message_reactions'];

/** An env value that Directus reads as a list: an array, or comma-separated text. */
const listOf = (value: unknown): string[] =>
	Array.isArray(value) ? value.map(String) : typeof value === 'string' && value ? value.split(',').map((v) => v.trim()) : [];
type Enrollment = EnrollmentFacts & { user: string };

export default defineHook(({ init, filter, action: registerAction, schedule }, context) => {
	const action = (event: string, handler: (meta: Record<string, any>) => void) => onAction(registerAction, event, handler);
	const { env, logger } = context;
	/** Action hooks are not awaited by Directus: their failures are logged, never lost silently. */
	const background = (label: string, work: Promise<unknown>) =>
		void work.catch((error) => logger.error(error, `community: ${label} failed`));

	// The search index's tables (SQLite FTS5 and its shadow tables) belong to the database, not to Directus:
	// its schema, the admin app and the licence's collection count leave them out (setup/search-index.ts).
	env['DB_EXCLUDE_TABLES'] = [...listOf(env['DB_EXCLUDE_TABLES']), ...SEARCH_INDEX_TABLES];
	// On SQLite, dropping or changing a column rebuilds the table, and its triggers (search, change cursor) go with
	// it: an admin's schema change to posts, messages or reactions in the admin app puts them back at once, not at the next setup.
	const schemaGuard = stepAsideForSchemaChanges(context.database, background);
	for (const event of ['fields.create', 'fields.update', 'fields.delete', 'relations.create', 'relations.update', 'relations.delete'])
		action(event, ({ collection, payload }) => {
			const changed = collection ?? (payload as { collection?: unknown } | undefined)?.collection;
			if (isPostgres(context.database)) return;
			if (changed === undefined || INDEXED_COLLECTIONS.includes(String(changed)))
				background('search index after a schema change', ensureSearchIndexes(context.database));
			if (changed === undefined || CHANGE_CURSOR_COLLECTIONS.includes(String(changed)))
				background('change cursor after a schema change', schemaGuard.restoreWhenIdle());
		});

	init('cli.before', ({ program }) => {
		registerCommunityCli(program, context, { snapshotsDir: env['COMMUNITY_SNAPSHOTS_PATH'] ?? './snapshots' });
	});
	const writeLimits = new WriteLimits(readLimitRules(env), String(env['COMMUNITY_REDIS_PREFIX'] ?? 'lms-community:'), logger);
	const limitMax = Number(env['COMMUNITY_QUERY_LIMIT_MAX'] ?? DEFAULT_QUERY_LIMIT_MAX);
	const { ItemsService } = context.services;
	const readGuard = createReadGuardHooks({
		limitMax,
		readAsSystem: (collection, query, schema, knex) =>
			new ItemsService(collection, { schema, knex }).readByQuery(query, { emitEvents: false }),
	});
	// GraphQL subscriptions send every deleted key to every subscriber and cannot carry a row scope: off.
	if (String(env['WEBSOCKETS_GRAPHQL_ENABLED']) !== 'false') {
		env['WEBSOCKETS_GRAPHQL_ENABLED'] = false;
		logger.info('community: GraphQL subscriptions are switched off (they cannot be scoped to a member)');
	}

	// Benchmarks only: measures what the read policy costs by running an instance without it.
	const readPolicyOn = String(env['COMMUNITY_BENCH_READ_POLICY_OFF']) !== 'true';
	if (!readPolicyOn) logger.warn('community: COMMUNITY_BENCH_READ_POLICY_OFF is set: members can read EVERYTHING (benchmarks only)');

	init('routes.before', ({ app }) => {
		if (readPolicyOn)
			app.use(
				createRequestGuard({
					database: context.database,
					limitMax,
					assertVisible: async (collection, id, accountability, schema) => {
						await new ItemsService(collection, { schema, accountability, knex: context.database }).readOne(id, { fields: ['id'] });
					},
				}),
			);
		if (!isPostgres(context.database)) app.use(schemaGuard.middleware);
		app.use(limitCommunityWrites(writeLimits));
		app.post('/items/community_messages', idempotentMessageCreate(context));
	});
	init('routes.custom.after', ({ app }) => app.use(answerUnavailable));

	if (readPolicyOn) {
		filter<Query>('items.query', (query, { collection }, eventContext) => readGuard.itemsQuery(query, collection, eventContext));
		filter<Query>('users.query', (query, _meta, eventContext) => readGuard.usersQuery(query, eventContext));
		filter<unknown>('items.read', (records, { collection, query }, eventContext) =>
			readGuard.itemsRead(records, collection, query as Query, eventContext),
		);
		filter<unknown>('users.read', (records, _meta, eventContext) => readGuard.usersRead(records, eventContext));
		filter<{ type?: unknown }>('websocket.message', (message, { client }) =>
			guardWebSocketMessage(message, (client as { accountability?: Accountability } | undefined)?.accountability),
		);
	}

	// Every write through Directus's items (REST, GraphQL, imports, the socket's sends) that its rules accept
	// spends the writer's budget before it is stored: the budget counts writes, not refused attempts.
	const spend = async <T>(kind: WriteKind, { accountability }: { accountability: Accountability | null }, accepted: T): Promise<T> => {
		if (accountability?.user && accountability.admin !== true && !isPrepaid(accountability))
			await writeLimits.consume(kind, accountability.user);
		return accepted;
	};
	filter<Payload>('community_posts.items.create', async (payload, _meta, eventContext) =>
		spend('post', eventContext, await handlePostCreate(payload, eventContext)),
	);
	filter<Payload>('community_posts.items.update', async (payload, { keys }, eventContext) =>
		spend('edit', eventContext, await handlePostUpdate(payload, keys, eventContext)),
	);
	filter<Payload>('community_messages.items.create', async (payload, _meta, eventContext) =>
		spend('message', eventContext, await handleMessageCreate(payload, eventContext)),
	);
	filter<Payload>('community_messages.items.update', async (payload, { keys }, eventContext) =>
		spend('edit', eventContext, await handleMessageUpdate(payload, keys, eventContext)),
	);
	filter<Payload>('community_message_reactions.items.create', async (payload, _meta, eventContext) =>
		spend('reaction', eventContext, await handleMessageReactionCreate(payload, eventContext)),
	);
	// The delete action gets the keys only: the messages of the removed reactions go with the very keys array the
	// filter answers (Directus hands it to the action), held weakly: a delete that fails leaves nothing behind.
	const removedReactions = new WeakMap<object, number[]>();
	filter<Array<string | number>>('community_message_reactions.items.delete', async (keys, _meta, eventContext) => {
		const removed = await handleMessageReactionDelete(keys, eventContext);
		await spend('reaction', eventContext, keys);
		const passed = [...keys];
		removedReactions.set(passed, [...new Set(removed.map((reaction) => reaction.message))]);
		return passed;
	});
	filter<Payload>('community_members.items.update', (payload, { keys }, eventContext) => handleMemberUpdate(payload, keys, eventContext));
	filter<Payload>('community_groups.items.update', (payload, { keys }, eventContext) => handleGroupUpdate(payload, keys, eventContext));
	filter<Payload>('community_reports.items.create', async (payload, _meta, eventContext) =>
		spend('report', eventContext, await handleReportCreate(payload, eventContext)),
	);

	action('community_posts.items.create', ({ key }) => background('post notifications', notifyForPost(context, Number(key))));
	action('community_posts.items.update', ({ keys, payload }) => {
		if (payload['status'] === 'pending' || (payload['status'] === 'published' && !payload['moderated_by'])) {
			for (const key of keys) background('post notifications', notifyForPost(context, Number(key)));
		}
	});
	// One read of the new row serves the broadcast and the mention notifications. Rows the socket's send path
	// announced (core-events.ts) were broadcast and notified with their commit already.
	action('community_messages.items.create', ({ key, origin }) => {
		communityMetrics.messageStored();
		if (origin === ANNOUNCED_BY_COMMUNITY) return;
		background(
			'new message',
			facts.message(context.database, Number(key)).then(async (message) => {
				if (!message) return;
				useBus()?.messageCreated(message);
				await notifyForMessage(context, message);
			}),
		);
	});
	action('community_messages.items.update', ({ keys }) => {
		for (const key of keys) background('message broadcast', useBus()?.messageChanged(key) ?? Promise.resolve());
	});
	action('community_message_reactions.items.create', ({ payload }) =>
		background('reaction broadcast', useBus()?.reactionsChanged(Number(payload['message'])) ?? Promise.resolve()),
	);
	action('community_message_reactions.items.delete', ({ keys }) => {
		for (const message of removedReactions.get(keys) ?? [])
			background('reaction broadcast', useBus()?.reactionsChanged(message) ?? Promise.resolve());
	});
	action('community_reports.items.create', ({ key }) => background('report review', afterReportCreated(context, key)));
	// The moderation queue's live changes (`moderation:queue`), whichever path wrote them.
	for (const event of QUEUE_ACTIONS)
		action(event, (meta) =>
			background(
				'moderation queue feed',
				queueChangesOfAsSystem(context.database, event, meta as ItemAction).then((changes) => useBus()?.moderationQueueChanged(changes)),
			),
		);
	action('community_notifications.items.create', ({ key, origin }) => {
		if (origin !== ANNOUNCED_BY_COMMUNITY) background('notification push', useBus()?.notificationCreated(key) ?? Promise.resolve());
	});
	action('community_members.items.update', ({ keys, payload }) => {
		if (typeof payload['status'] !== 'string') return;
		background('membership revocation', useBus()?.membershipsChanged(keys, payload['status']) ?? Promise.resolve());
		background('member count', refreshMemberCountsOf(context.database, keys));
	});

	// Suspending, archiving or deleting a person ends their sockets at once, not at the next re-check.
	action('users.update', ({ keys, payload }) => {
		if (typeof payload['status'] === 'string' && payload['status'] !== 'active')
			background('user revocation', useBus()?.usersRevoked(keys) ?? Promise.resolve());
	});
	action('users.delete', ({ keys, payload }) =>
		background('user revocation', useBus()?.usersRevoked((keys ?? payload) as string[]) ?? Promise.resolve()),
	);

	action('server.start', ({ server }) => {
		// Triggers lost to an interrupted schema change or setup come back with the next start.
		background('change cursor at start', ensureChangeCursor(context.database, { onlyIfMissing: true }));
		surviveDirectusRedisOutages(logger);
		drainOnShutdownSignals();
		const config = readRealtimeConfig(env);
		for (const warning of multiInstanceWarnings(env, config.redis)) logger.warn(`community: several instances share Redis, but ${warning}`);
		const announcer = loadCoreAnnouncer({ env, knex: context.database, getSchema: () => context.getSchema(), logger });
		background(
			'socket server start',
			announcer
				.then((loaded) =>
					createRealtimeServer(server, { context, secret: String(env['SECRET']), config, logger, limits: writeLimits, announcer: loaded }),
				)
				.then((realtime) => {
					setRealtime(realtime);
					logger.info(
						`community socket server listening at ${config.path}${config.redis ? ` (Redis adapter: ${describeRedisTarget(config.redis)})` : ''}`,
					);
					if (config.benchRelayOnly)
						logger.warn('community: COMMUNITY_BENCH_RELAY_ONLY is set: chat messages are NOT stored (benchmarks only)');
				}),
		);
	});
	action('server.stop', () => {
		startDraining();
		background('health probes close', closeHealthProbes());
		const realtime = useRealtime();
		setRealtime(null);
		// The Sentinel relay stops taking connections once its clients are closing (their open ones end with them).
		background('socket server stop', (realtime?.close() ?? Promise.resolve()).finally(closeSentinelRelay));
	});

	action('courses.items.create', ({ key }) => background('group for a new course', ensureGroupsForCourses(context, [Number(key)])));

	// Enrollment writes move memberships inside the same transaction: access changes with the enrollment.
	filter<Payload>('enrollments.items.create', async (payload, _meta, { database }) => {
		const enrollment = { status: 'active', role: 'student', starts_at: null, expires_at: null, ...payload } as unknown as Enrollment;
		if (enrollment.user && enrollment.course) await syncMembershipsForEnrollments(context, database as Knex, [enrollment]);
		return payload;
	});
	filter<Payload>('enrollments.items.update', async (payload, { keys }, { database }) => {
		const rows: Enrollment[] = await (database as Knex)('enrollments').whereIn('id', keys);
		await syncMembershipsForEnrollments(
			context,
			database as Knex,
			rows.map((row) => ({ ...row, ...payload }) as Enrollment),
		);
		return payload;
	});
	filter<Array<string | number>>('enrollments.items.delete', async (keys, _meta, { database }) => {
		const rows: Enrollment[] = await (database as Knex)('enrollments').whereIn('id', keys);
		await syncMembershipsForEnrollments(
			context,
			database as Knex,
			rows.map((row) => ({ ...row, status: 'cancelled' })),
		);
		return keys;
	});

	schedule(env['COMMUNITY_MEMBERSHIP_SYNC_CRON'] ?? '*/5 * * * *', async () => {
		const changed = await syncAllMemberships(context);
		if (changed > 0) logger.info(`community: ${changed} memberships brought in line with enrollments`);
	});

	// A person's data over its lifetime (docs/privacy.md): deleting an account keeps everyone's content.
	filter<Array<string | number>>('users.delete', async (keys, _meta, { database }) => {
		await beforeAccountsDeleted(database as Knex, keys.map(String));
		return keys;
	});
	registerAction('users.delete', ({ keys }, { accountability }) =>
		background(
			'account deletion',
			afterAccountsDeleted(context.database, (keys as Array<string | number>).map(String), accountability?.user ?? null),
		),
	);
	filter('community_groups.items.delete', () => refuseGroupDelete());
	filter<Array<string | number>>('courses.items.delete', (keys, _meta, eventContext) => handleCourseDelete(keys, eventContext));
	filter<Array<string | number>>('community_posts.items.delete', async (keys, _meta, { database }) => {
		await beforePostsDeleted(database as Knex, keys);
		return keys;
	});
	action('community_posts.items.delete', ({ keys }) => background('thread counts', afterPostsDeleted(context.database, keys)));

	const realtimeConfig = readRealtimeConfig(env);
	schedule(env['COMMUNITY_RETENTION_CRON'] ?? '0 3 * * *', async () => {
		const claims = useGroupClaims({
			knex: context.database,
			redis: realtimeConfig.redis,
			redisPrefix: realtimeConfig.redisPrefix,
			logger,
		});
		try {
			for (const outcome of await runRetention(context.database, claims, null))
				if (outcome.messages > 0)
					logger.info(`community retention: group ${outcome.group}: ${outcome.messages} messages (${outcome.action})`);
		} catch (error) {
			logger.error(error, 'community: retention run failed');
		}
	});
	action('server.stop', () => background('retention claims close', closeGroupClaims()));

	// Notifications that leave the server (docs/notifications.md): queued with the notification, sent by
	// every instance's outbox worker.
	const deliveryConfig = readDeliveryConfig(env);
	action('community_notifications.items.create', ({ key }) =>
		background('notification deliveries', queueDeliveriesAsSystem(context.database, deliveryConfig, Number(key), new Date())),
	);
	let deliveries: DeliveryRuntime | null = null;
	action('server.start', () => {
		if (deliveryConfig.emailEnabled)
			background('e-mail templates', installEmailTemplates(String(env['EMAIL_TEMPLATES_PATH'] ?? './templates')));
		deliveries = startDeliveries(context, deliveryConfig);
	});
	action('server.stop', () => {
		if (deliveries) background('deliveries stop', deliveries.stop());
		deliveries = null;
	});
});
