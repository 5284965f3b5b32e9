import { defineEndpoint } from '@directus/extensions-sdk';
import { BUNDLE_VERSION } from '../lib/version.js';

export default defineEndpoint({
	id: 'community',
	handler: (router) => {
		router.get('/health', (_req, res) => {
			res.json({ data: { status: 'ok', version: BUNDLE_VERSION } });
		});
	},
});
