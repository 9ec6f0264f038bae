import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

let cached: { temporalCli: string; testServer: string } | undefined;

/** Paths of the servers installed by scripts/tools.mjs (`npm test` installs them first). */
export function toolPaths(): { temporalCli: string; testServer: string } {
  if (!cached) {
    const out = execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'tools.mjs'), 'paths'], { encoding: 'utf8' });
    cached = JSON.parse(out) as { temporalCli: string; testServer: string };
  }
  return cached;
}
