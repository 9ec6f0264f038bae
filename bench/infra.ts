// What every workload runs on, all on loopback and all stopped at the end: a Temporal dev server (its own
// process, SQLite in a temp folder), the SMTP sink (in this process), the engine worker and the baseline
// worker (child processes, so each RSS is its own), and the ingest API (child processes, as users run it).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ConfigSchema } from '../config/config';
import type { Pool } from 'pg';
import { startPostgresProcess, type PostgresProcess } from '../harness/postgresProcess';
import { startTemporalProcess, freePort, type TemporalProcess } from '../harness/temporalProcess';
import { migrate } from '../store/migrate';
import { openPool } from '../store/pool';
import { startBenchSink, type BenchSink } from './sink';
import { progress } from './report';

export const root = join(__dirname, '..');

export const ENGINE_QUEUE = 'bench-engine';
/** The engine's ingest goes to a queue no worker polls, so the measurement is the acceptance path only. */
export const ENGINE_INGEST_QUEUE = 'bench-ingest';
export const BASELINE_QUEUE = 'bench-baseline';
export const BASELINE_INGEST_QUEUE = 'bench-baseline-ingest';
export const WRITE_KEY = 'wk_bench_0123456789abcdef';

export interface ChildProc {
  name: string;
  pid: number;
  output(): string;
  /** Resident set size now (VmRSS) and at its peak (VmHWM), bytes; undefined once it exited. */
  memory(): { rss: number; peak: number } | undefined;
  stop(): Promise<void>;
}

/** /proc/<pid>/status VmRSS and VmHWM in bytes (Linux). */
export function procMemory(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Every child this module spawned and has not seen exit: killed by stopEverything() on Ctrl-C, also while
 *  they are still starting. */
const running = new Set<ChildProcess>();
let stopCurrent: (() => Promise<void>) | undefined;

/** Ctrl-C: stops what startInfra started (dev server, sink, processes), and any child still starting. */
export async function stopEverything(): Promise<void> {
  for (const p of running) p.kill('SIGTERM');
  await stopCurrent?.();
}

/** Runs a TypeScript entry point as `node --import tsx <script>`: one process (no tsx wrapper), so its pid
 *  is the program's own. The environment is the caller's minus every omnijourney setting, plus `env`;
 *  `nodeArgs` go before `--import` (e.g. `--cpu-prof`, which NODE_OPTIONS does not allow). */
export async function spawnTs(
  name: string,
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 180_000,
  nodeArgs: string[] = [],
): Promise<ChildProc> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(ConfigSchema.shape)) delete base[key];
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(root, script)], {
    cwd: root,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  let out = '';
  const keep = (c: Buffer) => void (out = (out + c.toString()).slice(-20_000));
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(out)) {
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${name} did not start:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = proc.pid as number;
  return {
    name,
    pid,
    output: () => out,
    memory: () => (proc.exitCode === null && proc.signalCode === null ? procMemory(pid) : undefined),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

export interface Infra {
  dir: string;
  temporal: TemporalProcess;
  dbFile: string;
  sink: BenchSink;
  /** A plain client (no codec) for the baselines, history reads and visibility counts. */
  client: Client;
  /** PAYLOAD_KEYS of the engine's worker and API. */
  payloadKeys: string;
  /** The engine's worker process on ENGINE_QUEUE. */
  engineWorker: ChildProc;
  baselineWorker: ChildProc;
  /** The API in front of the engine worker (ENGINE_QUEUE), and one for ingest (ENGINE_INGEST_QUEUE). */
  api: { url: string; proc: ChildProc };
  ingestApi: { url: string; proc: ChildProc };
  /** The engine worker's store of facts (DATABASE_URL), unless the bench runs with `--facts off`. */
  facts?: { postgres: PostgresProcess; db: Pool };
  /** SQLite file + WAL, bytes. */
  dbBytes(): number;
  stop(): Promise<void>;
}

/** Environment of the engine's processes: payload encryption on (the default) with a bench key, quiet hours
 *  off and caps out of the way, the way a user configures them. */
export function engineEnv(address: string, taskQueue: string, payloadKeys: string, dataDir: string, smtpPort: number): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    PAYLOAD_ENCRYPTION: 'on',
    PAYLOAD_KEYS: payloadKeys,
    OMNIJOURNEY_DATA_DIR: dataDir,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtpPort),
    WORKER_METRICS_PORT: '0',
    QUIET_HOURS: 'off',
    CAP_PER_DAY: '1000000',
    CAP_PER_WEEK: '1000000',
  };
}

async function startApi(name: string, env: Record<string, string>): Promise<{ url: string; proc: ChildProc }> {
  const port = await freePort();
  const proc = await spawnTs(
    name,
    'api/main.ts',
    {
      ...env,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      API_WRITE_KEYS: WRITE_KEY,
      // Far above anything the bench offers: the limiter must not throttle the measurement.
      API_RATE_LIMIT: '1000000',
      API_RATE_BURST: '1000000',
    },
    /ingest API on http/,
  );
  return { url: `http://127.0.0.1:${port}`, proc };
}

export interface InfraOptions {
  keep?: boolean;
  /** Extra environment of the engine worker. */
  workerEnv?: Record<string, string>;
  /** `--sqlite-pragma` values for the dev server. */
  pragmas?: string[];
  /** The engine worker records facts to a PostgreSQL of the bench's own (default), as `npm start` does. */
  facts?: boolean;
  /** Node options of the engine worker's process (bench/profile.ts --cpu-prof). */
  workerNodeArgs?: string[];
}

export async function startInfra({ keep = false, workerEnv = {}, pragmas = [], facts = true, workerNodeArgs = [] }: InfraOptions = {}): Promise<Infra> {
  const dir = mkdtempSync(join(tmpdir(), 'omnijourney-bench-'));
  const dbFile = join(dir, 'temporal.sqlite');
  const stops: Array<() => Promise<unknown>> = [];
  let stopped = false;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    for (const s of stops.reverse()) await s().catch((err) => progress(`cleanup: ${(err as Error).message}`));
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else progress(`kept ${dir}`);
  };
  stopCurrent = stopAll;
  try {
    progress('starting the Temporal dev server (SQLite) and the SMTP sink');
    const [temporal, sink] = await Promise.all([
      startTemporalProcess(
        dbFile,
        120_000,
        pragmas.flatMap((p) => ['--sqlite-pragma', p]),
      ),
      startBenchSink(),
    ]);
    stops.push(() => temporal.stop());
    stops.push(() => sink.close());
    const connection = await Connection.connect({ address: temporal.address });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const payloadKeys = `bench:${randomBytes(32).toString('base64')}`;
    const env = (queue: string) => engineEnv(temporal.address, queue, payloadKeys, join(dir, 'data'), sink.port);
    let store: Infra['facts'];
    if (facts) {
      progress("starting PostgreSQL for the engine worker's facts");
      // Its own temporary folder: as root the server runs as the postgres user, who cannot enter `dir` (0700).
      const pgDir = mkdtempSync(join(tmpdir(), 'omnijourney-bench-pg-'));
      const postgres = await startPostgresProcess(pgDir);
      stops.push(async () => {
        await postgres.stop();
        if (!keep) rmSync(pgDir, { recursive: true, force: true });
      });
      await migrate(postgres.url);
      const db = openPool(postgres.url, 2);
      stops.push(() => db.end());
      store = { postgres, db };
    }
    const factsEnv: Record<string, string> = store ? { DATABASE_URL: store.postgres.url, FACTS_SPOOL_DIR: join(dir, 'facts-spool') } : {};

    progress('starting the engine worker (worker/main.ts, bundles workflows/), the baseline worker and two ingest APIs');
    // allSettled: a process that started is stopped even when another one failed to.
    const results = await Promise.allSettled([
      spawnTs('engine worker', 'worker/main.ts', { ...env(ENGINE_QUEUE), ...factsEnv, ...workerEnv }, /worker polling/, 180_000, workerNodeArgs),
      spawnTs(
        'baseline worker',
        'bench/baseline/worker.ts',
        { BENCH_TEMPORAL_ADDRESS: temporal.address, BENCH_TASK_QUEUE: BASELINE_QUEUE, BENCH_SMTP_PORT: String(sink.port) },
        /baseline worker polling/,
      ),
      startApi('ingest API', env(ENGINE_QUEUE)),
      startApi('ingest API (ingest workload)', env(ENGINE_INGEST_QUEUE)),
    ] as const);
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      const proc = 'pid' in r.value ? r.value : r.value.proc;
      stops.push(() => proc.stop());
    }
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const [engineWorker, baselineWorker, api, ingestApi] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
      ChildProc,
      ChildProc,
      Infra['api'],
      Infra['api'],
    ];
    return {
      dir,
      temporal,
      dbFile,
      sink,
      client,
      payloadKeys,
      engineWorker,
      baselineWorker,
      api,
      ingestApi,
      facts: store,
      dbBytes: () => [dbFile, `${dbFile}-wal`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
