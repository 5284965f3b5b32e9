import { defineEndpoint } from '@directus/extensions-sdk';
import type { Accountability } from '@directus/types';
import type { Request, RequestHandler } from 'express';
import { markNotificationsRead, markRead, myGroups } from '../lib/community/chat.js';
import { joinGroup, leaveGroup } from '../lib/community/membership.js';
import { groupActivity, groupMembers, moderationQueue } from '../lib/community/moderation.js';
import { moderatePost, recordView, setReaction, setThreadFlag } from '../lib/community/posts.js';
import { createReport, resolveReport } from '../lib/community/reports.js';
import { requireUser } from '../lib/rules/caller.js';
import { parseId, parseInput } from '../lib/rules/parse-input.js';
import {
	ActivityQuery,
	ModerationNoteInput,
	NotificationsReadInput,
	QueueQuery,
	ReactionInput,
	ReadMarkerInput,
	ReportCreateInput,
	ReportResolveInput,
} from '../lib/rules/schemas.js';
import { useRealtime } from '../lib/realtime/use-realtime.js';
import { BUNDLE_VERSION } from '../lib/version.js';

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
	},
});
