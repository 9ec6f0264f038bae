export const repoRoot: string;
export function cacheDir(): string;
export function temporalCliPath(): string;
export function testServerPath(): string;
export function ensureTemporalCli(): Promise<string>;
export function ensureTestServer(): Promise<string>;
export function ensureNodeModules(): void;
export class SetupError extends Error {}
