// Bounded load generators and statistics. Everything is counted and capped: a closed loop runs exactly
// `count` calls, an open loop exactly rate × duration.
import { performance } from 'node:perf_hooks';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  return { p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), p99: r(percentile(s, 99)), max: r(s.at(-1) ?? NaN) };
}

export interface ClosedLoopResult {
  ok: number;
  errors: number;
  firstError?: string;
  durationMs: number;
  latenciesMs: number[];
}

/** `count` calls of `call(i)`, `concurrency` at a time (each lane starts its next call when one ends). */
export async function closedLoop(count: number, concurrency: number, call: (i: number) => Promise<void>): Promise<ClosedLoopResult> {
  let next = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const latenciesMs: number[] = [];
  const started = performance.now();
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      try {
        await call(i);
        latenciesMs.push(performance.now() - t);
        ok += 1;
      } catch (err) {
        errors += 1;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { ok, errors, firstError, durationMs: performance.now() - started, latenciesMs };
}

export interface OpenLoopCall {
  sentAt: number;
  acceptedAt?: number;
  error?: string;
}

export interface OpenLoop {
  calls: OpenLoopCall[];
  /** Resolves when every call was sent (not answered). */
  sent: Promise<void>;
  /** Resolves when every call was answered. */
  answered(): Promise<void>;
}

/** Calls `call(i)` at a fixed rate, on schedule whatever the answers (an open loop, so a slow system
 *  builds a backlog instead of slowing the load down), `Math.round(rate × seconds)` calls in all. At most
 *  `maxInFlight` calls wait for an answer; past that the call counts as an error instead of piling up. */
export function openLoop(rate: number, seconds: number, call: (i: number) => Promise<void>, maxInFlight = 5000): OpenLoop {
  const total = Math.max(1, Math.round(rate * seconds));
  const calls: OpenLoopCall[] = [];
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  const fire = (i: number) => {
    const c: OpenLoopCall = { sentAt: performance.now() };
    calls.push(c);
    if (pending.size >= maxInFlight) {
      c.error = `more than ${maxInFlight} calls waiting for an answer`;
      return;
    }
    const p = call(i).then(
      () => void (c.acceptedAt = performance.now()),
      (err: unknown) => void (c.error = (err as Error).message || String(err)),
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const sent = (async () => {
    for (let i = 0; i < total; ) {
      const due = t0 + (i * 1000) / rate;
      const now = performance.now();
      if (due > now) await sleep(Math.min(due - now, 50));
      // Catch up if the timer was late: everything due by now goes out.
      while (i < total && t0 + (i * 1000) / rate <= performance.now()) fire(i++);
    }
  })();
  return {
    calls,
    sent,
    async answered() {
      await sent;
      await Promise.all([...pending]);
    },
  };
}

/** Least-squares slope of y over x (per unit of x). */
export function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** Polls `done` every `everyMs` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
}

export const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
