// `npm run bench`: starts its own Temporal dev server, SMTP sink, workers and ingest APIs on loopback, runs
// each workload against the engine and a plain-Temporal baseline on the same server, prints a table and,
// with --json, one JSON document. See docs/benchmarks.md.
//
//   npm run bench                      full run (the issue's sizes; 84 min on 2 quiet cores)
//   npm run bench -- --quick           smaller sizes and shorter windows (about 3 min)
//   npm run -s bench -- --quick --json > bench.json
//   npm run bench -- --only ingest,e2e --out results.json
//   npm run bench -- --only facts      the report over 1,000,000 facts (its own PostgreSQL; no Temporal)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { buildWorkflowBundle } from '../worker/bundle';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../worker/createWorker';
import { buildBaselineBundle } from './baseline/bundle';
import { runCost } from './cost';
import { runE2e, type E2eSize } from './e2e';
import { runFacts } from './facts';
import { measureFactsFlow } from './factsFlow';
import { runIdle, type IdleSize } from './idle';
import { startInfra, stopEverything, root, type Infra } from './infra';
import { runIngest, type IngestSize } from './ingest';
import { round } from './load';
import { BenchDocument, formatTable, progress, type Machine } from './report';
import { runSimulate } from './simulate';

type Mode = 'full' | 'quick' | 'tiny';
const WORKLOADS = ['ingest', 'e2e', 'idle', 'cost', 'simulate', 'facts'] as const;
/** Facts the `facts` workload generates: the issue's million, or a few for the tiny run of the bench test. */
const FACTS: Record<Mode, number> = { full: 1_000_000, quick: 1_000_000, tiny: 20_000 };
type Workload = (typeof WORKLOADS)[number];

interface Sizes {
  ingest: IngestSize;
  e2e: E2eSize;
  idle: IdleSize;
}

export const SIZES: Record<Mode, Sizes> = {
  full: {
    ingest: { events: 20_000, customers: 10_000, concurrency: 32, warmup: 500 },
    e2e: { windowSec: 60, latencyWindowSec: 60, startRate: 4, refineSteps: 3, maxProbes: 10, drainTimeoutSec: 180 },
    idle: { customers: 10_000, concurrency: 16, settleSec: 10, timeoutSec: 5400 },
  },
  quick: {
    // Sized to finish in under 3 minutes on 2 quiet cores: the dev server's SQLite commits bound the engine
    // to a few customers per second there (docs/benchmarks.md), so the idle run is small.
    ingest: { events: 2000, customers: 500, concurrency: 32, warmup: 100 },
    e2e: { windowSec: 5, latencyWindowSec: 5, startRate: 4, refineSteps: 1, maxProbes: 4, drainTimeoutSec: 45 },
    idle: { customers: 100, concurrency: 16, settleSec: 2, timeoutSec: 300 },
  },
  // For test/integration/bench.test.ts: every workload runs, the numbers mean nothing.
  tiny: {
    ingest: { events: 60, customers: 20, concurrency: 8, warmup: 10 },
    e2e: { windowSec: 2, latencyWindowSec: 2, startRate: 2, refineSteps: 0, maxProbes: 1, drainTimeoutSec: 30 },
    idle: { customers: 10, concurrency: 5, settleSec: 1, timeoutSec: 120 },
  },
};

interface Args {
  mode: Mode;
  json: boolean;
  out?: string;
  only: Workload[];
  keep: boolean;
  /** `--set idle.customers=300`: overrides of the mode's sizes. */
  set: Array<[string, number]>;
  /** `--worker-env KEY=VALUE`: extra environment of the engine worker (e.g. WORKER_MAX_CACHED_WORKFLOWS=500). */
  workerEnv: Record<string, string>;
  /** `--sqlite-pragma P=V`: passed to the dev server (e.g. synchronous=off takes the disk out of the numbers). */
  pragmas: string[];
  /** `--facts off`: the engine worker records no facts (to compare the engine's rates with and without). */
  facts: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { mode: 'full', json: false, only: [...WORKLOADS], keep: false, set: [], workerEnv: {}, pragmas: [], facts: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.mode = 'quick';
    else if (a === '--tiny') args.mode = 'tiny';
    else if (a === '--json') args.json = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--facts') {
      const v = argv[++i];
      if (v !== 'on' && v !== 'off') throw new Error('--facts takes on or off');
      args.facts = v === 'on';
    } else if (a === '--worker-env') {
      const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(argv[++i] ?? '');
      if (!m) throw new Error('--worker-env takes KEY=VALUE, e.g. WORKER_MAX_CACHED_WORKFLOWS=500');
      args.workerEnv[m[1]] = m[2];
    } else if (a === '--sqlite-pragma') {
      const p = argv[++i] ?? '';
      if (!/^\w+=\w+$/.test(p)) throw new Error('--sqlite-pragma takes PRAGMA=VALUE, e.g. synchronous=off');
      args.pragmas.push(p);
    } else if (a === '--set') {
      const m = /^(ingest|e2e|idle)\.(\w+)=(\d+(\.\d+)?)$/.exec(argv[++i] ?? '');
      if (!m) throw new Error('--set takes <workload>.<size>=<number>, e.g. idle.customers=300 (see SIZES in bench/main.ts)');
      args.set.push([`${m[1]}.${m[2]}`, Number(m[3])]);
    } else if (a === '--only') {
      const list = (argv[++i] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = list.filter((w) => !(WORKLOADS as readonly string[]).includes(w));
      if (bad.length || !list.length) throw new Error(`--only takes a comma-separated list of ${WORKLOADS.join(', ')}`);
      args.only = list as Workload[];
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: npm run bench -- [--quick] [--json] [--out <file>] [--only ingest,e2e,idle,cost,simulate,facts] [--set idle.customers=300] [--worker-env KEY=VALUE] [--sqlite-pragma P=V] [--facts on|off] [--keep]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (see --help)`);
  }
  return args;
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return 'unknown';
  }
}

/** Set on Ctrl-C/SIGTERM: the handler stops everything and exits; errors it causes meanwhile are expected. */
let stopping = false;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg().map((v) => round(v, 2));
  const want = (w: Workload) => args.only.includes(w);
  const sizes = structuredClone(SIZES[args.mode]);
  for (const [path, value] of args.set) {
    const [w, k] = path.split('.') as [keyof Sizes, string];
    if (!(k in sizes[w])) throw new Error(`--set ${path}: ${w} has no size "${k}" (${Object.keys(sizes[w]).join(', ')})`);
    (sizes[w] as unknown as Record<string, number>)[k] = value;
  }

  progress(`omnijourney bench, ${args.mode} run: ${args.only.join(', ')}`);

  const tools = await import('../toolchain/tools.mjs');
  const [temporalCli, testServer] = await Promise.all([
    tools.ensureTemporalCli(),
    want('cost') || want('simulate') ? tools.ensureTestServer() : Promise.resolve(tools.testServerPath()),
  ]);
  const pkg = (await import('../package.json')) as { omnijourney: { temporalCli: string; testServer: string } };

  let infra: Infra | undefined;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    progress('interrupted: stopping every server and process');
    await stopEverything();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));
  // While stopping, clients whose connection just closed throw from their retry timers: not a failure.
  const onStray = (err: unknown) => {
    if (stopping) return;
    progress(`bench failed: ${(err as Error)?.stack ?? err}`);
    process.exit(1);
  };
  process.on('uncaughtException', onStray);
  process.on('unhandledRejection', onStray);

  const needBundles = want('cost') || want('simulate');
  const bundles = needBundles
    ? (async () => {
        const t = performance.now();
        const engine = await buildWorkflowBundle();
        const engineMs = performance.now() - t;
        return { engine, engineMs, baseline: await buildBaselineBundle() };
      })()
    : undefined;
  bundles?.catch(() => undefined);

  const doc: BenchDocument = { machine: undefined as unknown as Machine, ingest: null, e2e: null, idle: null, cost: null, simulate: null, facts: null };
  try {
    // `facts` alone needs none of the servers: it starts its own PostgreSQL.
    if (args.only.some((w) => w !== 'facts')) {
      infra = await startInfra({ keep: args.keep, workerEnv: args.workerEnv, pragmas: args.pragmas, facts: args.facts });
      doc.factsOn = args.facts;
      const mbOf = (p: { memory(): { rss: number } | undefined }) => `${round((p.memory()?.rss ?? NaN) / 2 ** 20)} MB`;
      progress(
        `ready: dev server ${infra.temporal.address}, SMTP sink :${infra.sink.port}, API ${infra.api.url}; RSS: engine worker ${mbOf(infra.engineWorker)}, baseline worker ${mbOf(infra.baselineWorker)}, API ${mbOf(infra.api.proc)}`,
      );
    }
    const running = infra as Infra;
    if (want('ingest')) doc.ingest = await runIngest(running, sizes.ingest);
    if (want('e2e')) {
      const from = new Date();
      doc.e2e = await runE2e(running, sizes.e2e);
      if (running.facts) doc.factsFlow = await measureFactsFlow(running.facts.db, from, new Date());
    }
    if (want('idle')) doc.idle = await runIdle(running, sizes.idle);
    const b = bundles ? await bundles : undefined;
    if (want('cost')) doc.cost = await runCost(running, testServer, (b as { engine: WorkflowBundleWithSourceMap }).engine);
    if (want('simulate') && b) doc.simulate = await runSimulate(testServer, b.engine, b.engineMs, b.baseline);
    if (want('facts')) doc.facts = await runFacts(FACTS[args.mode]);
  } finally {
    if (!stopping) {
      if (infra) progress('stopping the dev server, workers, APIs and the sink');
      await infra?.stop();
    }
  }

  doc.machine = {
    mode: args.mode,
    startedAt,
    totalSeconds: round((performance.now() - started) / 1000),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGB: round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    temporalCli: `${pkg.omnijourney.temporalCli} (${temporalCli})`,
    testServer: pkg.omnijourney.testServer,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: os.loadavg().map((v) => round(v, 2)),
    gitCommit: gitCommit(),
    payloadEncryption: 'on for the engine (AES-256-GCM payload codec, privacy/codec.ts, as users run it); off for the baselines',
    engineWorker: `worker/main.ts as users run it (workflow cache ${args.workerEnv.WORKER_MAX_CACHED_WORKFLOWS ?? `${DEFAULT_MAX_CACHED_WORKFLOWS}, the default`})${
      Object.keys(args.workerEnv).length
        ? `, with ${Object.entries(args.workerEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`
        : ''
    }`,
    devServer: `temporal server start-dev, SQLite file${args.pragmas.length ? `, --sqlite-pragma ${args.pragmas.join(' --sqlite-pragma ')}` : ' (default pragmas, as npm start runs it)'}`,
  };
  // What is printed is what is checked: the document as JSON, parsed back through its schema.
  const json = JSON.stringify(doc, null, 2);
  const checked = BenchDocument.safeParse(JSON.parse(json));
  if (!checked.success) progress(`WARNING: the document does not match its schema: ${checked.error.message}`);
  progress(`done in ${doc.machine.totalSeconds} s`);
  const table = formatTable(doc);
  if (args.json) {
    process.stderr.write(`\n${table}\n\n`);
    process.stdout.write(`${json}\n`);
  } else process.stdout.write(`\n${table}\n\nDetails: --json, or --out <file>.\n`);
  if (args.out) writeFileSync(resolve(args.out), `${json}\n`);
  process.exit(checked.success ? 0 : 1);
}

main().catch((err) => {
  if (stopping) return; // the signal handler is stopping everything and exits when done
  progress(`bench failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
