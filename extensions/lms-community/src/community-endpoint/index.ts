import { once } from 'node:events';
import { defineEndpoint } from '@directus/extensions-sdk';
import type { Accountability } from '@directus/types';
import type { Request, RequestHandler, Response } from 'express';
import { markNotificationsRead, markRead, myGroups } from '../lib/community/chat.js';
import { joinGroup, leaveGroup } from '../lib/community/membership.js';
import { groupActivity, groupMembers, moderationQueue } from '../lib/community/moderation.js';
import { moderatePost, recordView, setReaction, setThreadFlag } from '../lib/community/posts.js';
import { createReport, resolveReport } from '../lib/community/reports.js';
import { requireUser, type SignedInCaller } from '../lib/rules/caller.js';
import { parseId, parseInput } from '../lib/rules/parse-input.js';
import {
	ActivityQuery,
	ArchiveInput,
	EraseInput,
	ExportQuery,
	GroupDeleteInput,
	ModerationNoteInput,
	NotificationsReadInput,
	QueueQuery,
	ReactionInput,
	ReadMarkerInput,
	ReportCreateInput,
	ReportResolveInput,
	UserRef,
} from '../lib/rules/schemas.js';
import { useRealtime } from '../lib/realtime/use-realtime.js';
import { BUNDLE_VERSION } from '../lib/version.js';
import { eraseUser } from '../lib/community/erasure.js';
import { planExport, type ExportSink } from '../lib/community/export.js';
import { useGroupClaims } from '../lib/community/group-claims.js';
import { archiveGroups, deleteGroup, groupDeletionPreview } from '../lib/community/group-lifecycle.js';
import { runRetention } from '../lib/community/retention.js';
import { ForbiddenError, InvalidPayloadError } from '../lib/errors/index.js';
import { readRealtimeConfig } from '../lib/realtime/config.js';

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
		router.get('/health', (_req, res) => {
			res.json({ data: { status: 'ok', version: BUNDLE_VERSION } });
		});

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
			route(async (req) =>
				markRead(context, requireUser(req.accountability), idParam(req), parseInput(ReadMarkerInput, body(req)).message),
			),
		);
		router.get(
			'/me/groups',
			route(async (req) => myGroups(context, requireUser(req.accountability).userId)),
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
				const { redisUrl, redisPrefix } = readRealtimeConfig(context.env);
				const claims = useGroupClaims({ knex: context.database, redisUrl, redisPrefix, logger: context.logger });
				return { groups: await runRetention(context.database, claims, caller.userId) };
			}),
		);
	},
});
