// ingest: events accepted per second through the HTTP API (200 = durably in Temporal), from autocannon at
// a fixed concurrency over many distinct customers; baseline: the same number of plain signal-with-start
// calls of a trivial workflow from the Temporal client, at the same concurrency, over as many workflow IDs.
// No worker polls either task queue meanwhile: this is the acceptance path only (see docs/benchmarks.md).
import autocannon from 'autocannon';
import type { Infra } from './infra';
import { BASELINE_INGEST_QUEUE, WRITE_KEY } from './infra';
import { closedLoop, percentiles, round } from './load';
import { progress, type IngestResult, type IngestSide } from './report';

export interface IngestSize {
  events: number;
  customers: number;
  concurrency: number;
  warmup: number;
}

/** `run` is `<customers' prefix>/<round>`: rounds of one prefix go to the same customers. */
const event = (run: string, n: number, customers: number) => ({
  userId: `${run.split('/')[0]}-${n % customers}`,
  event: 'bench.ping',
  properties: { n, source: 'bench' },
  messageId: `${run.replace('/', '-r')}-m${n}`,
});

async function engineSide(infra: Infra, run: string, size: IngestSize, events: number): Promise<IngestSide> {
  let n = 0;
  const result = await autocannon({
    url: `${infra.ingestApi.url}/v1/track`,
    method: 'POST',
    headers: { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json' },
    connections: size.concurrency,
    amount: events,
    timeout: 30,
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(event(run, n++, size.customers)) }) }],
  });
  const ok = result['2xx'];
  return {
    events: ok,
    errors: result.non2xx + result.errors + result.timeouts,
    durationMs: round(result.duration * 1000, 0),
    perSecond: round(ok / result.duration),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
  };
}

async function baselineSide(infra: Infra, run: string, size: IngestSize, events: number): Promise<IngestSide> {
  const r = await closedLoop(events, size.concurrency, async (i) => {
    const e = event(run, i, size.customers);
    await infra.client.workflow.signalWithStart('baselineTrivial', {
      workflowId: `baseline-${e.userId}`,
      taskQueue: BASELINE_INGEST_QUEUE,
      args: [],
      signal: 'ping',
      signalArgs: [e],
    });
  });
  const p = percentiles(r.latenciesMs);
  return {
    events: r.ok,
    errors: r.errors,
    durationMs: round(r.durationMs, 0),
    perSecond: round(r.ok / (r.durationMs / 1000)),
    latencyMs: { p50: p.p50, p99: p.p99, max: p.max },
    ...(r.firstError ? { firstError: r.firstError } : {}),
  };
}

/** Rounds of both sides, alternating (engine, baseline, engine, baseline), so that a change in the machine's
 *  load or the database's size during the run does not favour the side that ran first. */
const ROUNDS = 2;

function combine(rounds: IngestSide[]): IngestSide {
  const events = rounds.reduce((n, r) => n + r.events, 0);
  const durationMs = rounds.reduce((n, r) => n + r.durationMs, 0);
  const firstError = rounds.find((r) => r.firstError)?.firstError;
  const worst = (k: 'p50' | 'p99' | 'max', f: (...v: number[]) => number) => round(f(...rounds.map((r) => r.latencyMs[k] ?? NaN)));
  return {
    events,
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    durationMs: round(durationMs, 0),
    perSecond: round(events / (durationMs / 1000)),
    // Percentiles of separate rounds do not add up: the mean of the medians, the worst p99 and max.
    latencyMs: {
      p50: round(rounds.reduce((n, r) => n + (r.latencyMs.p50 ?? NaN), 0) / rounds.length),
      p99: worst('p99', Math.max),
      max: worst('max', Math.max),
    },
    ...(firstError ? { firstError } : {}),
  };
}

export async function runIngest(infra: Infra, size: IngestSize): Promise<IngestResult> {
  progress(`ingest: warm-up (${size.warmup} events each side)`);
  await engineSide(infra, 'ingw/0', { ...size, customers: size.warmup }, size.warmup);
  await baselineSide(infra, 'ingw/0', { ...size, customers: size.warmup }, size.warmup);

  const perRound = Math.ceil(size.events / ROUNDS);
  const engineRounds: IngestSide[] = [];
  const baselineRounds: IngestSide[] = [];
  let apiMemory: ReturnType<Infra['ingestApi']['proc']['memory']>;
  for (let r = 0; r < ROUNDS; r++) {
    progress(`ingest: round ${r + 1}/${ROUNDS}, engine: ${perRound} events over ${size.customers} customers, ${size.concurrency} connections, POST /v1/track`);
    const e = await engineSide(infra, `ing/${r}`, size, perRound);
    engineRounds.push(e);
    apiMemory = infra.ingestApi.proc.memory();
    progress(`ingest: engine ${e.perSecond}/s, p50 ${e.latencyMs.p50} ms, p99 ${e.latencyMs.p99} ms, ${e.errors} errors`);
    progress(
      `ingest: round ${r + 1}/${ROUNDS}, baseline: ${perRound} signal-with-start calls over ${size.customers} workflow IDs, concurrency ${size.concurrency}`,
    );
    const b = await baselineSide(infra, `ing/${r}`, size, perRound);
    baselineRounds.push(b);
    progress(`ingest: baseline ${b.perSecond}/s, p50 ${b.latencyMs.p50} ms, p99 ${b.latencyMs.p99} ms, ${b.errors} errors`);
  }
  const engine = combine(engineRounds);
  const baseline = combine(baselineRounds);
  const ratio = round(engine.perSecond / baseline.perSecond, 2);
  return {
    events: perRound * ROUNDS,
    customers: size.customers,
    concurrency: size.concurrency,
    endpoint: `POST /v1/track, one event per request; ${ROUNDS} alternating rounds per side, each over the same ${size.customers} customers (a new customer's first event starts its workflow, later ones signal it)`,
    payloadEncryption: true,
    engine,
    baseline,
    apiRssMB: apiMemory ? round(apiMemory.rss / 2 ** 20) : null,
    ratio,
    target: 0.8,
    meetsTarget: ratio >= 0.8 && engine.errors === 0,
  };
}
