export declare const GENERATE_MARKER: string;
export declare function renderEnvFile(
	template: string,
	random?: (bytes: number) => string,
): { text: string; generated: Record<string, string> };
export declare function parseEnvFile(text: string): Record<string, string>;
export declare function ensureEnvFile(envPath: string, examplePath: string): Record<string, string>;
