export const repoRoot: string;
export function cacheDir(): string;
export function temporalCliPath(): string;
export function testServerPath(): string;
export function ensureTemporalCli(): Promise<string>;
export function ensureTestServer(): Promise<string>;
export const SCHEMATHESIS_VERSION: string;
export function schemathesisPath(): string;
export function ensureSchemathesis(): Promise<string>;
export const CHROMIUM_PATH: string;
export function ensureChromium(): Promise<string>;
export function ensureNodeModules(): void;
export class SetupError extends Error {}
