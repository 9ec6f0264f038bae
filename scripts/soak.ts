// `npm run soak -- --minutes N [--rate R] [--sample-seconds S]`: a steady load through the real API for N
// minutes, with the memory (RSS) of every process sampled, then the books balanced.
//
// It starts its own servers on free loopback ports, each as its own process as in production: a Temporal
// dev server (SQLite in a temp folder), the worker (worker/main.ts) and the ingest API (api/main.ts), plus
// an SMTP server in this process. Every second it signs up R new customers through POST /v1/batch
// (identify with an email address + user.signed_up, each with a messageId; a 503 or 429 is retried with the
// same body), so each one enters the welcome journey and is due one welcome mail. At the end it waits for the
// mail to drain and reports:
//   - memory: RSS of the dev server, worker and API over time, and whether each is flat or growing;
//   - nothing lost: events accepted = events the customers received, signups = welcome journeys entered,
//     mails due = mails received at the SMTP server (lost, duplicated).
// Bounded: it stops sending after N minutes, waits at most 3 minutes for the mail, and stops every process
// it started (also on Ctrl-C). Exit code 1 when something was lost or doubled.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { PayloadEncryptionCodec, parsePayloadKeys } from '../privacy/codec';
import { dataConverterFor } from '../config/payloadKeys';
import { startApiProcess, treeRss, type ApiProcess } from '../harness/apiProcess';
import { postJson, sleep } from '../harness/http';
import { perRecipient, startSmtpSink, type SmtpSink } from '../harness/smtpSink';
import { freePort, startTemporalProcess, type TemporalProcess } from '../harness/temporalProcess';
import { startWorkerProcess, type WorkerProcess } from '../harness/workerProcess';
import { customerWorkflowId, stateQuery } from '../domain/messages';

interface Options {
  minutes: number;
  rate: number;
  sampleSeconds: number;
  /** WORKER_MAX_CACHED_WORKFLOWS for the worker; undefined: the SDK's default. */
  workerCache?: number;
  /** --max-old-space-size for the worker and the API (MB); undefined: Node's default. With a bounded heap the
   *  garbage collector has to work, so growing RSS then means a leak rather than a lazy collector. */
  heapMb?: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { minutes: 2, rate: 5, sampleSeconds: 5 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => Number(inline ?? argv[++i]);
    if (flag === '--minutes') o.minutes = value();
    else if (flag === '--rate') o.rate = value();
    else if (flag === '--sample-seconds') o.sampleSeconds = value();
    else if (flag === '--worker-cache') o.workerCache = value();
    else if (flag === '--heap-mb') o.heapMb = value();
    else if (flag === '--help' || flag === '-h') {
      console.log(
        'npm run soak -- --minutes N [--rate CUSTOMERS_PER_SECOND (5)] [--sample-seconds S (5)] [--worker-cache WORKFLOWS (the SDK default)] [--heap-mb MB (Node default)]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${argv[i]} (try --help)`);
  }
  if (!(o.minutes > 0 && o.minutes <= 240)) throw new Error('--minutes must be between 0 and 240');
  if (!(o.rate > 0 && o.rate <= 200)) throw new Error('--rate must be between 0 and 200 customers per second');
  if (!(o.sampleSeconds >= 1)) throw new Error('--sample-seconds must be at least 1');
  return o;
}

const MB = 1024 * 1024;
const KEY = `wk_soak_${randomBytes(12).toString('hex')}`;
const log = (msg: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}`);

interface Sample {
  t: number;
  temporal: number;
  worker: number;
  api: number;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const num = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0);
  const den = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return den ? num / den : 0;
}

/** Memory trend after warm-up (the first quarter of the samples is left out): the fitted growth over the
 *  measured span, and "flat" when that is under 10% of the mean and under 64 MB. */
function trend(samples: Sample[], key: 'temporal' | 'worker' | 'api'): { verdict: string; line: string } {
  const steady = samples.slice(Math.floor(samples.length / 4));
  if (steady.length < 3) return { verdict: 'unknown', line: `${key}: too few samples` };
  const xs = steady.map((s) => s.t / 60_000);
  const ys = steady.map((s) => s[key] / MB);
  const perMinute = slope(xs, ys);
  const span = xs[xs.length - 1] - xs[0];
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  const growth = perMinute * span;
  const flat = growth < 0.1 * mean && growth < 64;
  const verdict = flat ? 'flat' : 'growing';
  return {
    verdict,
    line: `${key.padEnd(8)} start ${(samples[0][key] / MB).toFixed(0)} MB, after warm-up ${ys[0].toFixed(0)} → ${ys[ys.length - 1].toFixed(0)} MB (min ${Math.min(...ys).toFixed(0)}, max ${Math.max(...ys).toFixed(0)}), fitted ${perMinute >= 0 ? '+' : ''}${perMinute.toFixed(1)} MB/min over ${span.toFixed(1)} min: ${verdict}`,
  };
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'omnijourney-soak-'));
  let temporal: TemporalProcess | undefined;
  let smtp: SmtpSink | undefined;
  let worker: WorkerProcess | undefined;
  let api: ApiProcess | undefined;
  let client: Client | undefined;
  let stopping = false;
  const stopAll = async () => {
    await api?.stop().catch(() => undefined);
    await worker?.kill('SIGTERM').catch(() => undefined);
    await client?.connection.close().catch(() => undefined);
    await temporal?.stop().catch(() => undefined);
    await smtp?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    if (stopping) return;
    stopping = true;
    log('Ctrl-C: stopping every process');
    void stopAll().then(() => process.exit(130));
  });

  try {
    log(
      `${o.minutes} min at ${o.rate} customers/s (${o.rate * 2} events/s through POST /v1/batch), memory every ${o.sampleSeconds} s, worker cache ${o.workerCache ?? 'SDK default'}, heap ${o.heapMb ? `${o.heapMb} MB` : 'Node default'}; servers in ${dir}`,
    );
    [temporal, smtp] = await Promise.all([startTemporalProcess(join(dir, 'temporal.sqlite')), startSmtpSink()]);
    const apiPort = await freePort();
    const env = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'soak',
      OMNIJOURNEY_DATA_DIR: join(dir, 'data'),
      PAYLOAD_KEYS: `soak:${randomBytes(32).toString('base64')}`,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      QUIET_HOURS: 'off',
      CAP_PER_DAY: '10',
      WORKER_METRICS_PORT: '0',
      ...(o.workerCache !== undefined ? { WORKER_MAX_CACHED_WORKFLOWS: String(o.workerCache) } : {}),
      ...(o.heapMb !== undefined ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${o.heapMb}`.trim() } : {}),
    };
    [worker, api] = await Promise.all([
      startWorkerProcess(env, 120_000),
      startApiProcess({ ...env, API_PORT: String(apiPort), API_WRITE_KEYS: KEY, API_RATE_LIMIT: String(Math.max(1000, o.rate * 4)) }, 120_000),
    ]);
    client = new Client({
      connection: await Connection.connect({ address: temporal.address }),
      dataConverter: dataConverterFor(new PayloadEncryptionCodec(parsePayloadKeys(env.PAYLOAD_KEYS))),
    });
    const pids = { temporal: temporal.pid()!, worker: worker.proc.pid!, api: api.proc.pid! };
    log(`dev server ${temporal.address} (pid ${pids.temporal}), worker pid ${pids.worker}, API ${api.url} (pid ${pids.api}), SMTP 127.0.0.1:${smtp.port}`);

    // Load and sampling.
    const started = Date.now();
    const end = started + o.minutes * 60_000;
    const samples: Sample[] = [];
    const statuses: Record<number, number> = {};
    let signups = 0;
    let accepted = 0;
    let retries = 0;
    const sample = () => samples.push({ t: Date.now() - started, temporal: treeRss(pids.temporal), worker: treeRss(pids.worker), api: treeRss(pids.api) });
    sample();
    const sampler = setInterval(() => {
      sample();
      const s = samples[samples.length - 1];
      log(
        `${((s.t / 1000) | 0).toString().padStart(5)} s  sent ${signups} customers, ${smtp!.mails.length} mails  RSS: dev server ${(s.temporal / MB).toFixed(0)} MB, worker ${(s.worker / MB).toFixed(0)} MB, API ${(s.api / MB).toFixed(0)} MB`,
      );
    }, o.sampleSeconds * 1000);
    const latencies: number[] = [];
    const inFlight = new Set<Promise<void>>();
    const signUp = async (n: number) => {
      const id = `soak-${n}`;
      const body = {
        batch: [
          { type: 'identify', userId: id, traits: { email: `${id}@soak.example`, firstName: `S${n}` }, messageId: `${id}-identify` },
          { type: 'track', userId: id, event: 'user.signed_up', properties: { plan: 'pro' }, messageId: `${id}-signup` },
        ],
      };
      for (let attempt = 1; ; attempt++) {
        const t0 = Date.now();
        const res = await postJson(api!.url, '/v1/batch', body, KEY).catch(() => ({ status: 0 }));
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 200) {
          latencies.push(Date.now() - t0);
          accepted += 1;
          return;
        }
        if (attempt >= 20 || Date.now() > end + 60_000) return; // counted as not accepted
        retries += 1;
        await sleep(500);
      }
    };
    // Steady rate: customer n is due at started + n / rate; at most 64 requests in flight.
    for (let n = 0; Date.now() < end && !stopping; n++) {
      const due = started + (n * 1000) / o.rate;
      if (due > Date.now()) await sleep(due - Date.now());
      while (inFlight.size >= 64) await Promise.race(inFlight);
      signups += 1;
      const p: Promise<void> = signUp(n).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    const sendSeconds = (Date.now() - started) / 1000;
    log(
      `load done: ${signups} customers in ${sendSeconds.toFixed(0)} s (${(signups / sendSeconds).toFixed(2)}/s), ${accepted} accepted; waiting for the mail (at most 3 min)`,
    );

    // Drain.
    const drainDeadline = Date.now() + 180_000;
    while (perRecipient(smtp.mails).size < accepted && Date.now() < drainDeadline && !stopping) await sleep(500);
    await sleep(3000); // late duplicates
    clearInterval(sampler);
    sample();

    // The books.
    const counts = perRecipient(smtp.mails);
    const lost = accepted - counts.size;
    const duplicated = smtp.mails.length - counts.size;
    const journeys = (await client.workflow.count('JourneyName = "welcome"')).count;
    const customers = (await client.workflow.count('WorkflowType = "customerWorkflow"')).count;
    // Events each customer workflow received, on a sample of up to 50 customers (a query each).
    const probe = Array.from({ length: Math.min(50, accepted) }, (_, i) => Math.floor((i * signups) / Math.min(50, accepted)));
    let eventsOnSample = 0;
    for (const n of probe)
      eventsOnSample += (
        await client.workflow
          .getHandle(customerWorkflowId(`soak-${n}`))
          .query(stateQuery)
          .catch(() => ({ eventsReceived: 0 }))
      ).eventsReceived;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;

    const lines = [
      '',
      `soak: ${o.minutes} min at ${o.rate} customers/s (${o.rate * 2} events/s), worker cache ${o.workerCache ?? 'SDK default'} workflows, heap ${o.heapMb ? `${o.heapMb} MB` : 'Node default'}, ${samples.length} memory samples`,
      `requests: ${Object.entries(statuses)
        .map(([s, n]) => `${s === '0' ? 'network error' : s}×${n}`)
        .join(', ')}; ${retries} retries; latency p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies[latencies.length - 1] ?? 0} ms`,
      `events in: ${accepted * 2} accepted (${accepted} identify + ${accepted} user.signed_up); on a sample of ${probe.length} customers ${eventsOnSample}/${probe.length * 2} received`,
      `journeys entered: ${journeys} welcome for ${accepted} signups; customer workflows: ${customers}`,
      `messages: ${accepted} due, ${smtp.mails.length} received at the SMTP server, ${counts.size} customers mailed: lost ${lost}, duplicated ${duplicated}`,
      'memory (RSS, process and its children):',
      ...(['temporal', 'worker', 'api'] as const).map((k) => `  ${trend(samples, k).line}`),
    ];
    console.log(lines.join('\n'));
    const ok = lost === 0 && duplicated === 0 && journeys === accepted && accepted === signups;
    console.log(ok ? 'result: nothing lost, nothing duplicated' : 'result: MISMATCH (see above)');
    return ok ? 0 : 1;
  } finally {
    if (!stopping) {
      stopping = true;
      await stopAll();
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`soak failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
