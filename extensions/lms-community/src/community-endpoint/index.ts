import { once } from 'node:events';
import { defineEndpoint } from '@directus/extensions-sdk';
import type { Accountability } from '@directus/types';
import type { Request, RequestHandler, Response } from 'express';
import { markNotificationsRead, markRead, markUnread, myGroups } from '../lib/community/chat.js';
import { joinGroup, leaveGroup } from '../lib/community/membership.js';
import { messagesAround } from '../lib/community/message-context.js';
import { participationReport } from '../lib/community/participation.js';
import { participationCsv } from '../lib/domain/participation.js';
import { readSearchOptions, searchCommunity } from '../lib/community/search.js';
import { deleteNotifications, dismissNotifications, unreadNotificationCount } from '../lib/community/notification-inbox.js';
import { groupActivity, groupMembers, moderationQueue } from '../lib/community/moderation.js';
import { moderatePost, recordView, setReaction, setThreadFlag } from '../lib/community/posts.js';
import { createReport, resolveReport } from '../lib/community/reports.js';
import { requireUser, type SignedInCaller } from '../lib/rules/caller.js';
import { parseId, parseInput } from '../lib/rules/parse-input.js';
import {
	ActivityQuery,
	AroundQuery,
	ArchiveInput,
	EraseInput,
	ExportQuery,
	GroupDeleteInput,
	ModerationNoteInput,
	NotificationsReadInput,
	ParticipationQuery,
	QueueQuery,
	ReactionInput,
	ReadMarkerInput,
	ReportCreateInput,
	ReportResolveInput,
	SearchQuery,
	UserRef,
} from '../lib/rules/schemas.js';
import { useBus } from '../lib/realtime/use-realtime.js';
import { healthRoute, metricsRoute } from '../lib/ops/ops-routes.js';
import { eraseUser } from '../lib/community/erasure.js';
import { planExport, type ExportSink } from '../lib/community/export.js';
import { useGroupClaims } from '../lib/community/group-claims.js';
import { archiveGroups, deleteGroup, groupDeletionPreview } from '../lib/community/group-lifecycle.js';
import { runRetention } from '../lib/community/retention.js';
import { ForbiddenError, InvalidPayloadError } from '../lib/errors/index.js';
import { readRealtimeConfig } from '../lib/realtime/config.js';
import { registerDeliveryRoutes } from '../lib/delivery/routes.js';

/** The person a /users/:id route is about: a user id, or `me`. */
function userParam(req: Request, caller: SignedInCaller): string {
	const parsed = UserRef.safeParse(req.params['id']);
	if (!parsed.success) throw new InvalidPayloadError({ reason: 'id: expected a user id (uuid) or "me"' });
	return parsed.data === 'me' ? caller.userId : parsed.data.toLowerCase();
}

/** Writes to the response, waiting whenever the client reads slower than the export is produced. */
const responseSink = (res: Response): ExportSink => ({
	async write(chunk) {
		if (!res.write(chunk)) await once(res, 'drain');
	},
});

type CommunityRequest = Request & { accountability?: Accountability };

/** Runs a handler and answers `{ data }`, or hands the error to Directus's error handler. */
const route =
	(handler: (req: CommunityRequest) => Promise<unknown>): RequestHandler =>
	async (req, res, next) => {
		try {
			res.json({ data: await handler(req as CommunityRequest) });
		} catch (error) {
			next(error);
		}
	};

const idParam = (req: Request) => parseId(req.params['id']);
const body = (req: Request) => req.body ?? {};

export default defineEndpoint({
	id: 'community',
	handler: (router, context) => {
		const searchOptions = readSearchOptions(context.env);
		router.get('/health', healthRoute(context));
		router.get('/metrics', metricsRoute(context));

		router.post(
			'/groups/:id/join',
			route(async (req) => joinGroup(context, idParam(req), requireUser(req.accountability).userId)),
		);
		router.post(
			'/groups/:id/leave',
			route(async (req) => leaveGroup(context, idParam(req), requireUser(req.accountability).userId)),
		);
		router.post(
			'/groups/:id/read',
			route(async (req) => {
				const caller = requireUser(req.accountability);
				const marker = await markRead(context, caller, idParam(req), parseInput(ReadMarkerInput, body(req)).message);
				// The same receipt as the socket's receipt:read: the room sees the member's read marker move.
				useBus()?.receiptUpdated(marker, caller.userId);
				useBus()?.markerUpdated(marker, caller.userId);
				return marker;
			}),
		);
		router.post(
			'/groups/:id/unread',
			route(async (req) => {
				const caller = requireUser(req.accountability);
				const marker = await markUnread(context, caller, idParam(req), parseInput(ReadMarkerInput, body(req)).message);
				// Only the member's own devices hear of it: "read by" for the others does not move back.
				useBus()?.markerUpdated(marker, caller.userId);
				return marker;
			}),
		);
		router.get('/me/groups', async (req, res, next) => {
			try {
				const userId = requireUser((req as CommunityRequest).accountability).userId;
				const [groups, notifications] = await Promise.all([myGroups(context, userId), unreadNotificationCount(context, userId)]);
				// Totals for a badge: unread chat over all my groups, and every unread notification (any group).
				const messages = groups.reduce((sum, group) => sum + group.unread_messages, 0);
				res.json({ data: groups, meta: { unread_messages: messages, unread_notifications: notifications } });
			} catch (error) {
				next(error);
			}
		});
		router.get('/groups/:id/participation', async (req, res, next) => {
			try {
				const caller = requireUser((req as CommunityRequest).accountability);
				const query = parseInput(ParticipationQuery, { ...req.query });
				const report = await participationReport(context, caller, idParam(req), query);
				if (query.format === 'json') return void res.json({ data: report });
				res.setHeader('Content-Type', 'text/csv; charset=utf-8');
				res.setHeader('Content-Disposition', `attachment; filename="participation-group-${report.group}.csv"`);
				res.send(participationCsv(report.students));
			} catch (error) {
				next(error);
			}
		});
		// Answers `{ data, meta: { next_cursor } }`, like Directus's own listings.
		router.get('/search', async (req, res, next) => {
			try {
				const caller = requireUser((req as CommunityRequest).accountability);
				res.json(await searchCommunity(context, caller, parseInput(SearchQuery, { ...req.query }), searchOptions));
			} catch (error) {
				next(error);
			}
		});
		router.get(
			'/groups/:id/messages/around/:messageId',
			route(async (req) =>
				messagesAround(
					context,
					requireUser(req.accountability),
					idParam(req),
					parseId(req.params['messageId'], 'messageId'),
					parseInput(AroundQuery, { ...req.query }),
				),
			),
		);
		router.get(
			'/me/notifications/unread-count',
			route(async (req) => ({ unread: await unreadNotificationCount(context, requireUser(req.accountability).userId) })),
		);

		for (const decision of ['approve', 'reject'] as const) {
			router.post(
				`/posts/:id/${decision}`,
				route(async (req) => {
					const caller = requireUser(req.accountability);
					return moderatePost(context, caller, idParam(req), decision, parseInput(ModerationNoteInput, body(req)).note ?? null);
				}),
			);
		}
		for (const [action, field, value] of [
			['pin', 'pinned', true],
			['unpin', 'pinned', false],
			['lock', 'locked', true],
			['unlock', 'locked', false],
		] as const) {
			router.post(
				`/posts/:id/${action}`,
				route(async (req) => setThreadFlag(context, requireUser(req.accountability), idParam(req), field, value)),
			);
		}
		router.post(
			'/posts/:id/view',
			route(async (req) => ({
				view_count: await recordView(context, req.accountability!, requireUser(req.accountability).userId, idParam(req)),
			})),
		);
		router.post(
			'/posts/:id/reactions',
			route(async (req) => {
				const caller = requireUser(req.accountability);
				return setReaction(context, req.accountability!, caller, idParam(req), parseInput(ReactionInput, body(req)).emoji, true);
			}),
		);
		router.delete(
			'/posts/:id/reactions/:emoji',
			route(async (req) => {
				const caller = requireUser(req.accountability);
				return setReaction(context, req.accountability!, caller, idParam(req), String(req.params['emoji']), false);
			}),
		);
		router.post(
			'/reports',
			route(async (req) => {
				requireUser(req.accountability);
				return createReport(context, req.accountability!, parseInput(ReportCreateInput, body(req)));
			}),
		);
		router.post(
			'/reports/:id/resolve',
			route(async (req) =>
				resolveReport(
					context,
					req.accountability!,
					requireUser(req.accountability),
					idParam(req),
					parseInput(ReportResolveInput, body(req)),
				),
			),
		);
		router.get(
			'/moderation/queue',
			route(async (req) => moderationQueue(context, requireUser(req.accountability), parseInput(QueueQuery, { ...req.query }))),
		);
		router.get(
			'/moderation/groups/:id/members',
			route(async (req) => groupMembers(context, requireUser(req.accountability), idParam(req))),
		);
		router.get(
			'/moderation/groups/:id/activity',
			route(async (req) =>
				groupActivity(context, requireUser(req.accountability), idParam(req), parseInput(ActivityQuery, { ...req.query }).days),
			),
		);
		router.post(
			'/notifications/read',
			route(async (req) => {
				const userId = requireUser(req.accountability).userId;
				const input = parseInput(NotificationsReadInput, body(req));
				return { updated: await markNotificationsRead(context, userId, 'all' in input ? 'all' : input.ids) };
			}),
		);
		router.post(
			'/notifications/dismiss',
			route(async (req) => {
				const userId = requireUser(req.accountability).userId;
				const input = parseInput(NotificationsReadInput, body(req));
				return { updated: await dismissNotifications(context, userId, 'all' in input ? 'all' : input.ids) };
			}),
		);
		router.delete(
			'/notifications/:id',
			route(async (req) => {
				const userId = requireUser(req.accountability).userId;
				// Someone else's notification answers like a missing one.
				if ((await deleteNotifications(context, userId, [idParam(req)])) === 0) throw new ForbiddenError();
				return { deleted: 1 };
			}),
		);

		// Notifications that leave the server: devices, settings, unsubscribe (docs/notifications.md).
		registerDeliveryRoutes(router, context, route);

		// A person's data over its lifetime (docs/privacy.md).
		router.get('/users/:id/export', async (req, res, next) => {
			try {
				const caller = requireUser((req as CommunityRequest).accountability);
				const plan = await planExport(context.database, caller, userParam(req, caller), parseInput(ExportQuery, { ...req.query }));
				res.setHeader('Content-Type', plan.contentType);
				res.setHeader('Content-Disposition', `attachment; filename="${plan.filename}"`);
				await plan.run(responseSink(res));
				res.end();
			} catch (error) {
				// Once the export has started, the status is sent: a cut-off body is the only way to say it failed.
				if (res.headersSent) res.destroy(error as Error);
				else next(error);
			}
		});
		router.post(
			'/users/:id/erase',
			route(async (req) => {
				const caller = requireUser(req.accountability);
				parseInput(EraseInput, body(req));
				return eraseUser(context, caller, userParam(req, caller));
			}),
		);
		router.post(
			'/groups/archive',
			route(async (req) =>
				archiveGroups(context, req.accountability!, requireUser(req.accountability), parseInput(ArchiveInput, body(req))),
			),
		);
		router.get(
			'/groups/:id/deletion',
			route(async (req) => groupDeletionPreview(context, requireUser(req.accountability), idParam(req))),
		);
		router.delete(
			'/groups/:id',
			route(async (req) => deleteGroup(context, requireUser(req.accountability), idParam(req), parseInput(GroupDeleteInput, body(req)))),
		);
		router.post(
			'/retention/run',
			route(async (req) => {
				const caller = requireUser(req.accountability);
				if (!caller.admin) throw new ForbiddenError();
				const { redis, redisPrefix } = readRealtimeConfig(context.env);
				const claims = useGroupClaims({ knex: context.database, redis, redisPrefix, logger: context.logger });
				return { groups: await runRetention(context.database, claims, caller.userId) };
			}),
		);
	},
});
