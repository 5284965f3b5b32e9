import manifest from '../../package.json';

/** The bundle's own version, from its manifest, so health checks report what is really loaded. */
export const BUNDLE_VERSION: string = manifest.version;
