// Nothing lost, nothing sent twice, with real processes: the worker SIGKILLed in the middle of a batch of
// sends, and an SMTP server that refuses connections for a while. Bounded: every wait has a deadline.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { EngineConfig } from '../../domain/engineConfig';
import { customerWorkflowId } from '../../domain/messages';
import {
  describeGaps,
  expectKillGuarantee,
  perRecipient,
  reliabilityLine,
  replyToJournalMs,
  sendsRunningOn,
  signUpForWelcome,
  until,
  untilRecordedAsSent,
  workerIdentity,
} from '../helpers/faults';
import { startSmtpSink } from '../../harness/smtpSink';
import { freePort, startTemporalProcess, type TemporalProcess } from '../../harness/temporalProcess';
import { startWorkerProcess, type WorkerProcess } from '../../harness/workerProcess';

const dir = mkdtempSync(join(tmpdir(), 'omnijourney-faults-'));
let temporal: TemporalProcess;
let client: Client;
const workers: WorkerProcess[] = [];
/** Enough that the kill lands while sends are running (it comes at the 30th mail). */
const CUSTOMERS = 100;
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

const signUp = (taskQueue: string, ids: string[]) => signUpForWelcome(client, ids, { taskQueue, engine, domain: 'example.com', concurrency: 16 });

test('SIGKILL of the worker in the middle of 100 sends: a new worker finishes them; every customer gets the mail, and only a send running at the kill can repeat, as the same message', async () => {
  const smtp = await startSmtpSink(0, { acceptDelayMs: 40 });
  try {
    const ids = Array.from({ length: CUSTOMERS }, (_, i) => `kill-${i}`);
    const first = await worker('faults-kill', smtp.port);
    await signUp('faults-kill', ids);
    await until('the first 30 mails', () => smtp.mails.length >= 30, 120_000);
    await first.kill('SIGKILL');
    const atKill = smtp.mails.length;
    const runningAtKill = await sendsRunningOn(client, ids.map(customerWorkflowId), workerIdentity(first.output()));
    expect(atKill).toBeLessThan(CUSTOMERS); // it really died mid-batch

    const metricsPort = await freePort();
    await worker('faults-kill', smtp.port, metricsPort);
    await until(
      'a mail for every customer',
      () => perRecipient(smtp.mails).size >= CUSTOMERS,
      180_000,
      () => `${perRecipient(smtp.mails).size}/${CUSTOMERS}`,
    );
    await untilRecordedAsSent(client, ids, 'welcome/hello', 120_000);
    const outcome = expectKillGuarantee(
      ids.map((id) => ({ id, address: `${id}@example.com` })),
      smtp.mails,
      runningAtKill,
    );
    const gaps = replyToJournalMs(smtp, join(dir, 'data', 'outbox'));
    reliabilityLine(
      `worker SIGKILL mid-batch: killed at ${atKill}/${CUSTOMERS} mails with ${outcome.runningAtKill} send(s) running, a new worker finished; ${outcome.mailed}/${CUSTOMERS} customers mailed, lost ${outcome.lost}, duplicated ${outcome.duplicated} (same Message-ID); SMTP 250 to outbox journal: ${describeGaps(gaps)}`,
    );
    expect(gaps.length).toBeGreaterThan(CUSTOMERS * 0.75); // the window was measured on (nearly) every message

    // The new worker's metrics count its deliveries by journey, channel and status.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/omnijourney_deliveries_total\{[^}]*status="sent"[^}]*\} \d+/);
  } finally {
    await smtp.close();
  }
}, 360_000);

test('an SMTP server that refuses connections for a while: the message is delivered once when it is back', async () => {
  const port = await freePort();
  await worker('faults-smtp', port); // nothing listens on that port yet: connection refused
  await signUp('faults-smtp', ['smtp-down']);
  // A few refused attempts, retried with back-off.
  let attempts = 0;
  await until(
    'a second attempt at the refused send',
    async () => {
      attempts = (await client.workflow.getHandle('customer:smtp-down').describe()).raw.pendingActivities?.[0]?.attempt ?? 0;
      return attempts > 1;
    },
    60_000,
  );

  const smtp = await startSmtpSink(port);
  try {
    await until('the mail after the SMTP server came back', () => smtp.mails.length >= 1, 60_000);
    await untilRecordedAsSent(client, ['smtp-down'], 'welcome/hello', 60_000);
    reliabilityLine(`SMTP refusing connections: ${attempts}+ attempts while down, then ${smtp.mailsTo('smtp-down@example.com').length} mail`);
    expect(smtp.mailsTo('smtp-down@example.com')).toHaveLength(1);
  } finally {
    await smtp.close();
  }
});
