// e2e: from "event accepted" (the API's 200) to "message received" by the SMTP sink, for the engine's whole
// path: /v1/batch (identify with the email + user.signed_up) → customer workflow → welcome journey →
// delivery pipeline → deliver activity (Liquid + MJML + nodemailer) → sink. Baseline: signal-with-start of
// a plain workflow that sends one nodemailer email per signal.
//
// Per side: find the highest offered rate (messages/s, open loop) held for a window without the backlog
// (accepted, not yet received) growing; then, at half the engine's highest rate, the latency percentiles.
import { performance } from 'node:perf_hooks';
import type { Infra } from './infra';
import { BASELINE_QUEUE, WRITE_KEY } from './infra';
import { openLoop, percentiles, round, sleep, slope, waitUntil, type OpenLoopCall } from './load';
import { progress, type E2eLatency, type E2eProbe, type E2eResult, type E2eSide } from './report';
import { benchAddress } from './sink';

export interface E2eSize {
  /** Length of each rate probe (the issue's 60 s; shorter with --quick). */
  windowSec: number;
  latencyWindowSec: number;
  startRate: number;
  /** Bisection steps between the last rate held and the first one not held. */
  refineSteps: number;
  maxProbes: number;
  /** How long a probe may take to drain before the search stops. */
  drainTimeoutSec: number;
}

type Side = 'engine' | 'baseline';
let phase = 0;

/** One message to a new recipient: resolves when the system accepted it (durably in Temporal). The e2e
 *  workload and bench/profile.ts send the same message. */
export function sender(infra: Infra, side: Side, group: string): (i: number) => Promise<void> {
  if (side === 'engine') {
    const url = `${infra.api.url}/v1/batch`;
    const headers = { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json' };
    return async (i) => {
      const id = `${group}-${i}`;
      const body = JSON.stringify({
        batch: [
          { type: 'identify', userId: id, traits: { email: benchAddress(group, i), firstName: 'Bench' }, messageId: `${id}-identify` },
          { type: 'track', userId: id, event: 'user.signed_up', properties: { plan: 'pro' }, messageId: `${id}-signup` },
        ],
      });
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    };
  }
  return async (i) => {
    await infra.client.workflow.signalWithStart('baselineMailer', {
      workflowId: `baseline-${group}-${i}`,
      taskQueue: BASELINE_QUEUE,
      args: [],
      signal: 'send',
      signalArgs: [{ to: benchAddress(group, i), subject: 'Welcome to Acme, Bench!', text: 'Your pro plan is ready. Create your first project to get going.' }],
    });
  };
}

interface Run {
  group: string;
  calls: OpenLoopCall[];
  samples: Array<[number, number]>;
  drainMs: number | null;
  delivered: number;
}

/** Offers `rate` messages/s for `seconds`, samples the backlog every 250 ms, then waits for the drain. */
async function offer(infra: Infra, side: Side, rate: number, seconds: number, drainTimeoutSec: number): Promise<Run> {
  const group = `e2e${++phase}${side === 'engine' ? 'e' : 'b'}`;
  const load = openLoop(rate, seconds, sender(infra, side, group));
  const t0 = performance.now();
  const samples: Array<[number, number]> = [];
  let sending = true;
  void load.sent.then(() => void (sending = false));
  while (sending) {
    await sleep(250);
    const failed = load.calls.filter((c) => c.error).length;
    samples.push([(performance.now() - t0) / 1000, load.calls.length - failed - infra.sink.count(group)]);
  }
  const stop = performance.now();
  await load.answered();
  const accepted = () => load.calls.filter((c) => c.acceptedAt !== undefined).length;
  const drained = await waitUntil(() => infra.sink.count(group) >= accepted(), drainTimeoutSec * 1000, 50);
  return { group, calls: load.calls, samples, drainMs: drained ? round(performance.now() - stop, 0) : null, delivered: infra.sink.count(group) };
}

function latencies(infra: Infra, run: Run) {
  const fromAccepted: number[] = [];
  const fromSent: number[] = [];
  const accept: number[] = [];
  run.calls.forEach((c, i) => {
    if (c.acceptedAt === undefined) return;
    accept.push(c.acceptedAt - c.sentAt);
    const at = infra.sink.arrivals(benchAddress(run.group, i))?.[0];
    if (at === undefined) return;
    // The mail can beat the HTTP answer back to this process by a hair: clamp at 0.
    fromAccepted.push(Math.max(0, at - c.acceptedAt));
    fromSent.push(at - c.sentAt);
  });
  return { fromAccepted, fromSent, accept };
}

async function probe(infra: Infra, side: Side, rate: number, size: E2eSize): Promise<E2eProbe> {
  const run = await offer(infra, side, rate, size.windowSec, size.drainTimeoutSec);
  const failed = run.calls.filter((c) => c.error);
  const accepted = run.calls.length - failed.length;
  // The backlog's trend over the second half of the window, in messages per second.
  const half = run.samples.filter(([t]) => t >= size.windowSec / 2);
  const growth = slope(half);
  const endBacklog = run.samples.at(-1)?.[1] ?? 0;
  // Held: nothing refused, the backlog grew by less than 10% of the rate (or 3 messages over the half
  // window, the noise of counting whole messages), it ended below 5 s worth, and it drained.
  const held = failed.length === 0 && growth <= Math.max(0.1 * rate, 3 / (size.windowSec / 2)) && endBacklog <= rate * 5 + 5 && run.drainMs !== null;
  const l = latencies(infra, run);
  const result: E2eProbe = {
    rate,
    seconds: size.windowSec,
    sent: run.calls.length,
    accepted,
    failed: failed.length,
    delivered: run.delivered,
    backlogGrowthPerSec: round(growth, 2),
    endBacklog,
    drainMs: run.drainMs,
    held,
    latencyMs: percentiles(l.fromAccepted),
    ...(failed.length ? { firstError: failed[0].error } : {}),
  };
  progress(
    `e2e: ${side} ${rate}/s for ${size.windowSec} s: ${held ? 'held' : 'NOT held'} (backlog ${growth >= 0 ? '+' : ''}${round(growth, 1)}/s, ${endBacklog} at the end, p99 ${result.latencyMs.p99} ms${failed.length ? `, ${failed.length} failed: ${failed[0].error}` : ''})`,
  );
  return result;
}

async function highestRate(infra: Infra, side: Side, size: E2eSize, startRate: number): Promise<{ maxRate: number; probes: E2eProbe[]; lowerBound: boolean }> {
  const probes: E2eProbe[] = [];
  let good = 0; // highest rate held
  let bad = Infinity; // lowest rate not held
  let rate = startRate;
  let refined = 0;
  while (probes.length < size.maxProbes) {
    const p = await probe(infra, side, rate, size);
    probes.push(p);
    if (p.held) good = Math.max(good, rate);
    else bad = Math.min(bad, rate);
    if (p.drainMs === null) break; // still busy with this probe's backlog: a next probe would be wrong
    if (bad === Infinity) {
      rate *= 2; // double until a rate is not held
    } else if (good === 0) {
      if (rate <= 0.5) break;
      rate = round(rate / 2, 1); // not even the first rate: halve
    } else {
      if (refined >= size.refineSteps || bad - good <= Math.max(1, good * 0.1)) break;
      refined += 1;
      rate = round((good + bad) / 2, 1); // bisect
    }
  }
  return { maxRate: good, probes, lowerBound: bad === Infinity };
}

async function latencyAt(infra: Infra, side: Side, rate: number, size: E2eSize): Promise<E2eLatency> {
  const run = await offer(infra, side, rate, size.latencyWindowSec, size.drainTimeoutSec);
  const l = latencies(infra, run);
  const failed = run.calls.filter((c) => c.error).length;
  const result: E2eLatency = {
    rate,
    seconds: size.latencyWindowSec,
    sent: run.calls.length,
    failed,
    delivered: run.delivered,
    acceptedToReceivedMs: percentiles(l.fromAccepted),
    sentToReceivedMs: percentiles(l.fromSent),
    acceptMs: percentiles(l.accept),
  };
  progress(
    `e2e: ${side} latency at ${rate}/s: accepted→received p50 ${result.acceptedToReceivedMs.p50} ms, p95 ${result.acceptedToReceivedMs.p95} ms, p99 ${result.acceptedToReceivedMs.p99} ms`,
  );
  return result;
}

export async function runE2e(infra: Infra, size: E2eSize): Promise<E2eResult> {
  progress(`e2e: engine, rate search from ${size.startRate}/s, ${size.windowSec} s per probe`);
  const engineSearch = await highestRate(infra, 'engine', size, size.startRate);
  progress(`e2e: engine held ${engineSearch.lowerBound ? 'at least ' : ''}${engineSearch.maxRate}/s`);
  // The baseline does less per message: start its search at twice the engine's highest rate.
  const baselineStart = Math.max(size.startRate, engineSearch.maxRate * 2);
  progress(`e2e: baseline, rate search from ${baselineStart}/s`);
  const baselineSearch = await highestRate(infra, 'baseline', size, baselineStart);
  progress(`e2e: baseline held ${baselineSearch.lowerBound ? 'at least ' : ''}${baselineSearch.maxRate}/s`);

  const latencyRate = Math.max(0.5, round(engineSearch.maxRate / 2, 1));
  progress(`e2e: latency of both at ${latencyRate}/s (half the engine's highest rate), ${size.latencyWindowSec} s each`);
  const engineLatency = await latencyAt(infra, 'engine', latencyRate, size);
  const baselineLatency = await latencyAt(infra, 'baseline', latencyRate, size);

  const engine: E2eSide = { maxRate: engineSearch.maxRate, maxRateIsLowerBound: engineSearch.lowerBound, probes: engineSearch.probes, latency: engineLatency };
  const baseline: E2eSide = {
    maxRate: baselineSearch.maxRate,
    maxRateIsLowerBound: baselineSearch.lowerBound,
    probes: baselineSearch.probes,
    latency: baselineLatency,
  };
  const throughputRatio = baseline.maxRate > 0 ? round(engine.maxRate / baseline.maxRate, 2) : 0;
  return {
    message:
      'engine: one POST /v1/batch (identify with email + user.signed_up) → welcome journey → welcome/hello (MJML) by SMTP; baseline: signal-with-start of baselineMailer → one plain-text nodemailer email',
    windowSec: size.windowSec,
    engine,
    baseline,
    throughputRatio,
    latencyRate,
    targets: { throughputRatio: 0.6, p99Ms: 1000 },
    meetsTargets: { throughput: throughputRatio >= 0.6, p99: (engineLatency.acceptedToReceivedMs.p99 ?? Infinity) <= 1000 && engineLatency.failed === 0 },
  };
}
