// Where the servers the project installs live, for code that runs under Jest or tsx (it cannot import the
// .mjs installer directly): asks toolchain/tools.mjs once and caches the answer.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

let cached: { temporalCli: string; testServer: string } | undefined;

/** Paths of the servers installed by toolchain/tools.mjs (`npm test` installs them first). */
export function toolPaths(): { temporalCli: string; testServer: string } {
  if (!cached) {
    const out = execFileSync(process.execPath, [join(__dirname, '..', 'toolchain', 'tools.mjs'), 'paths'], { encoding: 'utf8' });
    cached = JSON.parse(out) as { temporalCli: string; testServer: string };
  }
  return cached;
}
