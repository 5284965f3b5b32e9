export declare const BROWSER_CANDIDATES: string[];
export declare const DEFAULT_BROWSER: string;
export interface MachineProbes {
	redisServer: boolean;
	haproxy: boolean;
	/** `packaged`: the @sparticuz/chromium devDependency is installed (the browser test falls back to it). */
	browsers: { configured: string | null; configuredExists: boolean; found: string[]; packaged: boolean };
	postgres: { ok: boolean; target: string; error?: string };
}
export declare function missingPieces(probes: MachineProbes): Array<{ what: string; fix: string }>;
export declare function formatMissing(missing: Array<{ what: string; fix: string }>): string;
