import type { ApiExtensionContext } from '@directus/types';

/** What the community services need from Directus's extension context. */
export type CommunityContext = Pick<ApiExtensionContext, 'services' | 'database' | 'getSchema' | 'logger'>;
