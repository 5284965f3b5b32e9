export declare function bundleSourceHash(bundleDir: string): string;
export declare function bundleIsCurrent(bundleDir: string): boolean;
export declare function markBundleBuilt(bundleDir: string): void;
