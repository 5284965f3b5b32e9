import type { ApiExtensionContext } from '@directus/types';

/** What setup steps need from the extension context. */
export type SetupContext = Pick<ApiExtensionContext, 'services' | 'database' | 'getSchema' | 'logger'>;
