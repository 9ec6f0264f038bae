// Schema migrations with node-pg-migrate (SQL files in store/migrations, applied in order, recorded in the
// omnijourney_migrations table, under an advisory lock so several workers and an API starting together
// migrate once). Run through the library's own CLI in a child process: node-pg-migrate is an ES module, and
// this keeps it out of the engine's processes and out of Jest.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

export const MIGRATIONS_DIR = join(__dirname, 'migrations');
export const MIGRATIONS_TABLE = 'omnijourney_migrations';

/** Applies every migration not yet applied. Throws with the tool's output when one fails. */
export async function migrate(databaseUrl: string, timeoutMs = 120_000): Promise<void> {
  const bin = join(dirname(require.resolve('node-pg-migrate/package.json')), 'bin', 'node-pg-migrate.js');
  try {
    await promisify(execFile)(process.execPath, [bin, 'up', '-m', MIGRATIONS_DIR, '-t', MIGRATIONS_TABLE, '--no-verbose'], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      timeout: timeoutMs,
    });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`database migration failed (${redact(databaseUrl)}): ${`${e.stderr ?? ''}${e.stdout ?? ''}`.trim() || e.message}`);
  }
}

/** A database URL without its password, for messages. */
export const redact = (url: string): string => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
