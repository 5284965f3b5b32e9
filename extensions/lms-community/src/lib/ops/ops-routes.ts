import type { Accountability, ApiExtensionContext } from '@directus/types';
import type { Request, RequestHandler } from 'express';
import { readRealtimeConfig } from '../realtime/config.js';
import { checkHealth, httpStatusOf, publicHealth, useHealthProbes } from './health.js';
import { communityMetrics } from './metrics.js';
import { metricsAccess } from './metrics-access.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
import { ForbiddenError } from '../errors/index.js';

type OpsContext = Pick<ApiExtensionContext, 'database' | 'env' | 'logger'>;

const positive = (value: unknown, fallback: number) => {
	const parsed = Number(value);
	return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
};

/** `GET /community/health`: open to anyone (a balancer has no token); it tells nothing about anyone's data. */
export function healthRoute({ database, env, logger }: OpsContext): RequestHandler {
	const options = {
		database,
		redis: readRealtimeConfig(env).redis,
		timeoutMs: positive(env['COMMUNITY_HEALTH_TIMEOUT_MS'], 2_000),
		logger,
	};
	return async (req, res, next) => {
		try {
			const report = await checkHealth(useHealthProbes(options));
			const admin = (req as { accountability?: { admin?: boolean } }).accountability?.admin === true;
			res
				.status(httpStatusOf(report))
				.set('Cache-Control', 'no-store')
				.json({ data: admin ? report : publicHealth(report) });
		} catch (error) {
			next(error);
		}
	};
}

/** `GET /community/metrics`: this instance's series, to the same callers as Directus's own `/metrics`. */
export function metricsRoute({ env }: OpsContext): RequestHandler {
	return (req, res, next) => {
		const access = metricsAccess({
			enabled: env['METRICS_ENABLED'],
			tokens: env['METRICS_TOKENS'],
			admin: (req as Request & { accountability?: Accountability }).accountability?.admin === true,
			authorization: req.headers.authorization,
		});
		// Disabled: fall through to Directus's 404, as its own /metrics is absent then.
		if (access === 'disabled') return next();
		if (access === 'forbidden') return next(new ForbiddenError());
		res.set('Content-Type', PROMETHEUS_CONTENT_TYPE).set('Cache-Control', 'no-store').send(communityMetrics.render());
	};
}
