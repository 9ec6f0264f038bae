// The bench's output: progress lines (stderr), the JSON document and its schema (the bench test checks
// it), and the table.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';

const t0 = performance.now();
let quiet = false;
export function setQuiet(q: boolean): void {
  quiet = q;
}
/** One progress line on stderr, with the time since the bench started. */
export function progress(line: string): void {
  if (!quiet) process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
}

const num = z.number().finite();
/** Percentiles of no values are NaN, which JSON writes as null. */
const stat = z.number().nullable();
const Percentiles = z.object({ p50: stat, p95: stat, p99: stat, max: stat });

export const Machine = z.object({
  mode: z.enum(['full', 'quick', 'tiny']),
  startedAt: z.string(),
  totalSeconds: num,
  cpus: z.number().int(),
  cpuModel: z.string(),
  memoryGB: num,
  platform: z.string(),
  node: z.string(),
  temporalCli: z.string(),
  testServer: z.string(),
  loadAverageAtStart: z.array(num),
  loadAverageAtEnd: z.array(num),
  gitCommit: z.string(),
  payloadEncryption: z.string(),
  engineWorker: z.string(),
  devServer: z.string(),
});

const IngestSide = z.object({
  events: z.number().int(),
  errors: z.number().int(),
  durationMs: num,
  perSecond: num,
  latencyMs: z.object({ p50: stat, p99: stat, max: stat }),
  firstError: z.string().optional(),
});
export const IngestResult = z.object({
  events: z.number().int(),
  customers: z.number().int(),
  concurrency: z.number().int(),
  endpoint: z.string(),
  payloadEncryption: z.boolean(),
  engine: IngestSide,
  baseline: IngestSide,
  apiRssMB: num.nullable(),
  ratio: num,
  target: num,
  meetsTarget: z.boolean(),
});

const E2eProbe = z.object({
  rate: num,
  seconds: num,
  sent: z.number().int(),
  accepted: z.number().int(),
  failed: z.number().int(),
  delivered: z.number().int(),
  backlogGrowthPerSec: num,
  endBacklog: num,
  drainMs: num.nullable(),
  held: z.boolean(),
  latencyMs: Percentiles,
  firstError: z.string().optional(),
});
const E2eLatency = z.object({
  rate: num,
  seconds: num,
  sent: z.number().int(),
  failed: z.number().int(),
  delivered: z.number().int(),
  acceptedToReceivedMs: Percentiles,
  sentToReceivedMs: Percentiles,
  acceptMs: Percentiles,
});
const E2eSide = z.object({
  maxRate: num,
  /** Every probe held (the search ran out of probes): the highest rate is at least this. */
  maxRateIsLowerBound: z.boolean(),
  probes: z.array(E2eProbe),
  latency: E2eLatency,
});
export const E2eResult = z.object({
  message: z.string(),
  windowSec: num,
  engine: E2eSide,
  baseline: E2eSide,
  throughputRatio: num,
  latencyRate: num,
  targets: z.object({ throughputRatio: num, p99Ms: num }),
  meetsTargets: z.object({ throughput: z.boolean(), p99: z.boolean() }),
});

const IdleSide = z.object({
  customers: z.number().int(),
  entered: z.number().int(),
  enterMs: num,
  enterPerSec: num,
  enterErrors: z.number().int(),
  workerRssMB: num.nullable(),
  workerPeakRssMB: num.nullable(),
  rssByEntered: z.array(z.object({ entered: z.number().int(), rssMB: num.nullable() })),
  dbMB: num,
  dbGrowthMB: num,
  wakeMs: num,
  wakePerSec: num,
  wakeErrors: z.number().int(),
  drained: z.boolean(),
  workerRssAfterWakeMB: num.nullable(),
  /** VmHWM after the wake: the highest RSS of the side, the wake included (absent in documents before 30 Nov 2026). */
  workerPeakRssThroughWakeMB: num.nullable().optional(),
  firstError: z.string().optional(),
});
export const IdleResult = z.object({
  customers: z.number().int(),
  concurrency: z.number().int(),
  engineJourney: z.string(),
  baselineWorkflow: z.string(),
  engine: IdleSide,
  baseline: IdleSide,
  ratios: z.object({ enterTime: num, workerRss: num.nullable(), dbGrowth: num.nullable(), wakeTime: num }),
  target: z.object({ workerRssMB: num, wakePeakRssMB: num.optional() }),
  meetsTarget: z.boolean(),
  meetsWakePeakTarget: z.boolean().optional(),
});

const CostCase = z.object({
  name: z.string(),
  source: z.string(),
  workflows: z.number().int(),
  messages: z.number().int(),
  historyEvents: z.number().int(),
  actions: z.number().int(),
  perMessage: z.object({ historyEvents: num, actions: num }),
  eventsByType: z.record(z.string(), z.number().int()),
  actionsByKind: z.record(z.string(), z.number().int()),
  /** WorkflowExecutionSignaled events by signal name, and search attribute upserts by attribute: where the
   *  signals and upserts of a message come from. */
  signalsByName: z.record(z.string(), z.number().int()),
  upsertsByKey: z.record(z.string(), z.number().int()),
});
export const CostResult = z.object({
  mapping: z.array(z.object({ eventType: z.string(), actions: z.string() })),
  notIncluded: z.string(),
  journeys: z.array(CostCase),
  baseline: CostCase,
  actionsPerMessageRatio: z.record(z.string(), num.nullable()),
});

export const SimulateResult = z.object({
  scenario: z.string(),
  simulatedDays: num,
  messages: z.number().int(),
  engine: z.object({ wallMs: num, bundleMs: num }),
  baseline: z.object({ wallMs: num, timers: z.number().int() }),
  ratio: num,
});

/** `facts`: buildReport over one journey's generated facts (bench/facts.ts), without the other servers. */
export const FactsResult = z.object({
  facts: z.number().int(),
  runs: z.number().int(),
  journey: z.string(),
  insertMs: num,
  reportMs: z.array(num),
  medianMs: num,
  /** PostgreSQL's user + system CPU per report (median), all its processes: what load elsewhere does not inflate. */
  postgresCpuMs: num.nullable(),
  windowMedianMs: num,
  withoutReportIndexesMedianMs: num,
  targetMs: num,
  meetsTarget: z.boolean(),
});

/** Facts the engine worker wrote while the e2e workload ran (bench/factsFlow.ts); absent with `--facts off`. */
export const FactsFlow = z.object({
  facts: z.number().int(),
  seconds: num,
  perSecond: num,
  /** From the workflow task that recorded a fact to its row in PostgreSQL. */
  lagMs: z.object({ p50: num, p99: num, max: num }),
  firstFifthP99Ms: num,
  lastFifthP99Ms: num,
});

/** The whole document: a workload left out with --only is null (`facts` is absent from documents older than it). */
export const BenchDocument = z.object({
  machine: Machine,
  ingest: IngestResult.nullable(),
  e2e: E2eResult.nullable(),
  idle: IdleResult.nullable(),
  cost: CostResult.nullable(),
  simulate: SimulateResult.nullable(),
  facts: FactsResult.nullable().optional(),
  /** Whether the engine worker recorded facts (absent in documents older than facts: off). */
  factsOn: z.boolean().optional(),
  factsFlow: FactsFlow.nullable().optional(),
});

export type Machine = z.infer<typeof Machine>;
export type IngestResult = z.infer<typeof IngestResult>;
export type IngestSide = z.infer<typeof IngestSide>;
export type E2eResult = z.infer<typeof E2eResult>;
export type E2eSide = z.infer<typeof E2eSide>;
export type E2eProbe = z.infer<typeof E2eProbe>;
export type E2eLatency = z.infer<typeof E2eLatency>;
export type IdleResult = z.infer<typeof IdleResult>;
export type IdleSide = z.infer<typeof IdleSide>;
export type CostCase = z.infer<typeof CostCase>;
export type CostResult = z.infer<typeof CostResult>;
export type SimulateResult = z.infer<typeof SimulateResult>;
export type FactsResult = z.infer<typeof FactsResult>;
export type FactsFlow = z.infer<typeof FactsFlow>;
export type BenchDocument = z.infer<typeof BenchDocument>;

const f = (v: number | null | undefined, unit = ''): string => (v === null || v === undefined || Number.isNaN(v) ? '–' : `${v}${unit}`);
const ok = (b: boolean) => (b ? 'yes' : 'NO');

/** The results as a plain-text table: workload, measure, engine, baseline, ratio, target. */
export function formatTable(doc: BenchDocument): string {
  const rows: string[][] = [['workload', 'measure', 'engine', 'baseline', 'ratio', 'target met']];
  const { ingest, e2e, idle, cost, simulate } = doc;
  if (ingest) {
    rows.push([
      'ingest',
      `accepted events/s (${ingest.events} events, ${ingest.concurrency} conc.)`,
      f(ingest.engine.perSecond),
      f(ingest.baseline.perSecond),
      f(ingest.ratio),
      `${ok(ingest.meetsTarget)} (≥ ${ingest.target})`,
    ]);
    rows.push([
      '',
      'latency p50 / p99',
      `${f(ingest.engine.latencyMs.p50)} / ${f(ingest.engine.latencyMs.p99)} ms`,
      `${f(ingest.baseline.latencyMs.p50)} / ${f(ingest.baseline.latencyMs.p99)} ms`,
      '',
      '',
    ]);
  }
  if (e2e) {
    const atLeast = (s: E2eSide) => `${s.maxRateIsLowerBound ? '≥ ' : ''}${f(s.maxRate)}`;
    rows.push([
      'e2e',
      `highest rate held ${e2e.windowSec} s (msg/s)`,
      atLeast(e2e.engine),
      atLeast(e2e.baseline),
      f(e2e.throughputRatio),
      `${ok(e2e.meetsTargets.throughput)} (≥ ${e2e.targets.throughputRatio})`,
    ]);
    const l = (s: E2eSide) =>
      `${f(s.latency.acceptedToReceivedMs.p50)} / ${f(s.latency.acceptedToReceivedMs.p95)} / ${f(s.latency.acceptedToReceivedMs.p99)} ms`;
    rows.push([
      '',
      `accepted→received p50/p95/p99 at ${e2e.latencyRate}/s`,
      l(e2e.engine),
      l(e2e.baseline),
      '',
      `${ok(e2e.meetsTargets.p99)} (p99 ≤ ${e2e.targets.p99Ms} ms)`,
    ]);
  }
  if (idle) {
    rows.push(['idle', `enter ${idle.customers} customers (s)`, f(idle.engine.enterMs / 1000), f(idle.baseline.enterMs / 1000), f(idle.ratios.enterTime), '']);
    rows.push([
      '',
      'worker RSS at rest (peak) MB',
      `${f(idle.engine.workerRssMB)} (${f(idle.engine.workerPeakRssMB)})`,
      `${f(idle.baseline.workerRssMB)} (${f(idle.baseline.workerPeakRssMB)})`,
      f(idle.ratios.workerRss),
      `${ok(idle.meetsTarget)} (≤ ${idle.target.workerRssMB} MB)`,
    ]);
    rows.push([
      '',
      'RSS by customers entered (MB)',
      idle.engine.rssByEntered.map((r) => f(r.rssMB)).join(' → '),
      idle.baseline.rssByEntered.map((r) => f(r.rssMB)).join(' → '),
      '',
      '',
    ]);
    rows.push(['', 'database growth (MB)', f(idle.engine.dbGrowthMB), f(idle.baseline.dbGrowthMB), f(idle.ratios.dbGrowth), '']);
    rows.push(['', 'wake all, drain (s)', f(idle.engine.wakeMs / 1000), f(idle.baseline.wakeMs / 1000), f(idle.ratios.wakeTime), '']);
    rows.push([
      '',
      'worker RSS after the wake (peak) MB',
      `${f(idle.engine.workerRssAfterWakeMB)} (${f(idle.engine.workerPeakRssThroughWakeMB)})`,
      `${f(idle.baseline.workerRssAfterWakeMB)} (${f(idle.baseline.workerPeakRssThroughWakeMB)})`,
      '',
      `${ok(idle.meetsWakePeakTarget ?? false)} (peak ≤ ${idle.target.wakePeakRssMB ?? 800} MB)`,
    ]);
  }
  if (cost) {
    for (const c of cost.journeys) {
      rows.push([
        'cost',
        `${c.name}: events / actions per message`,
        `${f(c.perMessage.historyEvents)} / ${f(c.perMessage.actions)}`,
        `${f(cost.baseline.perMessage.historyEvents)} / ${f(cost.baseline.perMessage.actions)}`,
        f(cost.actionsPerMessageRatio[c.name.split(' ')[0]]),
        '',
      ]);
    }
  }
  if (simulate) {
    rows.push([
      'simulate',
      `${simulate.scenario.split('/').pop()} (${simulate.simulatedDays} days) wall s`,
      f(simulate.engine.wallMs / 1000),
      f(simulate.baseline.wallMs / 1000),
      f(simulate.ratio),
      '',
    ]);
  }
  if (doc.facts) {
    const x = doc.facts;
    rows.push(['facts', `report over ${x.facts.toLocaleString('en-US')} facts, median ms`, f(x.medianMs), '', '', `${ok(x.meetsTarget)} (< ${x.targetMs} ms)`]);
  }
  if (doc.factsFlow) {
    const x = doc.factsFlow;
    rows.push([
      'facts',
      'written during e2e, per s',
      f(x.perSecond),
      '',
      '',
      `lag p99 ${f(x.lagMs.p99)} ms (first fifth ${f(x.firstFifthP99Ms)}, last ${f(x.lastFifthP99Ms)})`,
    ]);
  } else if (doc.factsOn === false) rows.push(['facts', 'off (--facts off)', '', '', '', '']);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
