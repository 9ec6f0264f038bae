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

const event = (run: string, n: number, customers: number) => ({
  userId: `${run}-${n % customers}`,
  event: 'bench.ping',
  properties: { n, source: 'bench' },
  messageId: `${run}-m${n}`,
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

export async function runIngest(infra: Infra, size: IngestSize): Promise<IngestResult> {
  progress(`ingest: warm-up (${size.warmup} events each side)`);
  await engineSide(infra, 'ingw', { ...size, customers: size.warmup }, size.warmup);
  await baselineSide(infra, 'ingw', { ...size, customers: size.warmup }, size.warmup);

  progress(`ingest: engine, ${size.events} events over ${size.customers} customers, ${size.concurrency} connections, POST /v1/track`);
  const engine = await engineSide(infra, 'ing', size, size.events);
  progress(`ingest: engine ${engine.perSecond}/s, p50 ${engine.latencyMs.p50} ms, p99 ${engine.latencyMs.p99} ms, ${engine.errors} errors`);
  const apiMemory = infra.ingestApi.proc.memory();

  progress(`ingest: baseline, ${size.events} signal-with-start calls over ${size.customers} workflow IDs, concurrency ${size.concurrency}`);
  const baseline = await baselineSide(infra, 'ing', size, size.events);
  progress(`ingest: baseline ${baseline.perSecond}/s, p50 ${baseline.latencyMs.p50} ms, p99 ${baseline.latencyMs.p99} ms, ${baseline.errors} errors`);

  const ratio = round(engine.perSecond / baseline.perSecond, 2);
  return {
    events: size.events,
    customers: size.customers,
    concurrency: size.concurrency,
    endpoint: 'POST /v1/track, one event per request',
    payloadEncryption: true,
    engine,
    baseline,
    apiRssMB: apiMemory ? round(apiMemory.rss / 2 ** 20) : null,
    ratio,
    target: 0.8,
    meetsTarget: ratio >= 0.8 && engine.errors === 0,
  };
}
