// Nothing lost, nothing sent twice, with real processes: the worker SIGKILLed in the middle of a batch of
// sends, and an SMTP server that refuses connections for a while. Bounded: every wait has a deadline.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sendEvent } from '../../client/events';
import type { EngineConfig } from '../../workflows/engineConfig';
import { recipient, startSmtpSink, type SmtpSink } from '../helpers/smtpSink';
import { freePort, startTemporalProcess, type TemporalProcess } from '../helpers/temporalProcess';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';

const dir = mkdtempSync(join(tmpdir(), 'omnijourney-faults-'));
let temporal: TemporalProcess;
let client: Client;
const workers: WorkerProcess[] = [];
const engine: Partial<EngineConfig> = { policy: { caps: { perDay: 10, perWeek: 20 }, quietHours: null } };

beforeAll(async () => {
  temporal = await startTemporalProcess(join(dir, 'temporal.sqlite'));
  client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await client?.connection.close();
  await temporal?.stop();
});

async function worker(taskQueue: string, smtpPort: number, metricsPort = 0): Promise<WorkerProcess> {
  const w = await startWorkerProcess({
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtpPort),
    OMNIJOURNEY_DATA_DIR: join(dir, 'data'),
    WORKER_METRICS_PORT: String(metricsPort),
    PAYLOAD_ENCRYPTION: 'off',
  });
  workers.push(w);
  return w;
}

async function signUp(taskQueue: string, ids: string[]): Promise<void> {
  let n = 0;
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        await sendEvent(client, { messageId: `${id}-identify`, type: 'identify', customerId: id, name: 'identify', properties: {}, traits: { email: `${id}@example.com` }, context: {} }, { taskQueue, engine });
        await sendEvent(client, { messageId: `${id}-signup`, type: 'track', customerId: id, name: 'user.signed_up', properties: {}, traits: {}, context: {} }, { taskQueue, engine });
        n++;
      }
    }),
  );
  expect(n).toBe(ids.length);
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function perRecipient(sink: SmtpSink[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of sink) for (const m of s.mails) counts.set(String(recipient(m)), (counts.get(String(recipient(m))) ?? 0) + 1);
  return counts;
}

test('SIGKILL of the worker in the middle of 200 sends: a new worker finishes them, and every customer gets exactly one welcome mail', async () => {
  const smtp = await startSmtpSink(0, { acceptDelayMs: 40 });
  try {
    const ids = Array.from({ length: 200 }, (_, i) => `kill-${i}`);
    const first = await worker('faults-kill', smtp.port);
    await signUp('faults-kill', ids);
    await until('the first 30 mails', () => smtp.mails.length >= 30, 120_000);
    await first.kill('SIGKILL');
    const atKill = smtp.mails.length;
    expect(atKill).toBeLessThan(200); // it really died mid-batch

    const metricsPort = await freePort();
    await worker('faults-kill', smtp.port, metricsPort);
    await until('a mail for every customer', () => perRecipient([smtp]).size >= 200, 180_000);
    // Let retries of sends that were in flight at the kill settle before counting.
    await new Promise((r) => setTimeout(r, 5000));
    const counts = perRecipient([smtp]);
    const doubled = [...counts.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
    console.log(`[reliability] worker SIGKILL mid-batch: killed at ${atKill}/200 mails, a new worker finished; ${counts.size}/200 customers mailed, lost ${200 - counts.size}, duplicated ${doubled}`);
    expect(counts.size).toBe(200);
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);

    // The new worker's metrics count its deliveries by journey, channel and status.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/omnijourney_deliveries_total\{[^}]*status="sent"[^}]*\} \d+/);
  } finally {
    await smtp.close();
  }
}, 360_000); // sends in flight at the kill are retried only after their 1-minute start-to-close timeout

test('an SMTP server that refuses connections for a while: the message is delivered once when it is back', async () => {
  const port = await freePort();
  await worker('faults-smtp', port); // nothing listens on that port yet: connection refused
  await signUp('faults-smtp', ['smtp-down']);
  await new Promise((r) => setTimeout(r, 5000)); // a few refused attempts, retried with back-off
  const state = await client.workflow.getHandle('customer:smtp-down').describe();
  expect(state.raw.pendingActivities?.[0]?.attempt ?? 0).toBeGreaterThan(1);

  const smtp = await startSmtpSink(port);
  try {
    await until('the mail after the SMTP server came back', () => smtp.mails.length >= 1, 60_000);
    await new Promise((r) => setTimeout(r, 3000));
    console.log(`[reliability] SMTP refusing connections: ${state.raw.pendingActivities?.[0]?.attempt ?? 0}+ attempts while down, then ${smtp.mailsTo('smtp-down@example.com').length} mail`);
    expect(smtp.mailsTo('smtp-down@example.com')).toHaveLength(1);
  } finally {
    await smtp.close();
  }
});
