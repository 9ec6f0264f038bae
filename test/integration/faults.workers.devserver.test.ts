// Two worker processes (worker/main.ts, as production runs them) on one task queue share the load: each
// one's own Prometheus endpoint (WORKER_METRICS_PORT) shows workflow tasks, deliver activities and delivery
// decisions it ran. Then one of them is SIGKILLed mid-flight (the whole process, not only its tsx wrapper):
// the other finishes everything, and every customer gets exactly one welcome mail at the SMTP server; the
// one exception it allows is a send A had running at the moment it died, which may arrive twice as the same
// message (same Message-ID): see docs/reliability.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFor } from '../../config/payloadKeys';
import type { EngineConfig } from '../../domain/engineConfig';
import { customerWorkflowId } from '../../domain/messages';
import { eventually } from '../helpers/eventually';
import {
  expectKillGuarantee,
  perRecipient,
  reliabilityLine,
  sendsRunningOn,
  signUpForWelcome,
  until,
  untilRecordedAsSent,
  workerIdentity,
} from '../helpers/faults';
import { testCodec, TEST_PAYLOAD_KEYS } from '../helpers/privacy';
import { startSmtpSink, type SmtpSink } from '../../harness/smtpSink';
import { freePort, startTemporalProcess, type TemporalProcess } from '../../harness/temporalProcess';
import { startWorkerProcess, type WorkerProcess } from '../../harness/workerProcess';

const TASK_QUEUE = 'faults-two-workers';
const CUSTOMERS = 160;
const engine: Partial<EngineConfig> = { policy: { caps: { perDay: 10, perWeek: 20 }, quietHours: null } };

let tmp: string;
let temporal: TemporalProcess;
let client: Client;
let smtp: SmtpSink;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'omnijourney-workers-'));
  [temporal, smtp] = await Promise.all([startTemporalProcess(join(tmp, 'temporal.sqlite')), startSmtpSink(0, { acceptDelayMs: 150 })]);
  client = new Client({ connection: await Connection.connect({ address: temporal.address }), dataConverter: dataConverterFor(testCodec()) });
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await client?.connection.close();
  await temporal?.stop();
  await smtp?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function worker(metricsPort: number): Promise<WorkerProcess> {
  const w = await startWorkerProcess({
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    // One host: both share the outbox journal, as two workers on one machine do.
    OMNIJOURNEY_DATA_DIR: join(tmp, 'data'),
    WORKER_METRICS_PORT: String(metricsPort),
    PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
  });
  workers.push(w);
  return w;
}

/** The sum of every series of these metrics (by name prefix, labels ignored). */
function total(text: string, name: RegExp): number {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#') && name.test(l.slice(0, l.search(/[{ ]/))))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

interface Load {
  workflowTasks: number;
  /** Deliver activities finished (sent or failed). */
  activities: number;
  /** Deliver activities received and not finished: running now. */
  inFlight: number;
  sent: number;
}

async function load(port: number): Promise<Load & { text: string }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  return {
    text,
    workflowTasks: total(text, /^temporal_workflow_task_execution_latency\w*_count$/),
    activities: total(text, /^temporal_activity_execution_latency\w*_count$/),
    inFlight: total(text, /^temporal_activity_task_received\w*$/) - total(text, /^temporal_activity_execution_latency\w*_count$/),
    sent: text
      .split('\n')
      .filter((l) => l.startsWith('omnijourney_deliveries_total{') && l.includes('status="sent"'))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0),
  };
}

test('two workers share the load; SIGKILL one mid-send: the other finishes, nothing lost, nothing sent twice as another message', async () => {
  const ports = [await freePort(), await freePort()];
  const [a] = await Promise.all(ports.map((p) => worker(p)));

  const ids = Array.from({ length: CUSTOMERS }, (_, i) => `pair-${i}`);
  await signUpForWelcome(client, ids, { taskQueue: TASK_QUEUE, engine, domain: 'workers.example', concurrency: 8 });

  // Both are busy before one dies.
  let before: Load[] = [];
  await until(
    'both workers to have run workflow tasks and sends',
    async () => {
      before = await Promise.all(ports.map((p) => load(p)));
      return smtp.mails.length >= CUSTOMERS / 4 && before.every((l) => l.workflowTasks > 0 && l.activities > 0 && l.sent > 0);
    },
    120_000,
    () => JSON.stringify(before.map(({ workflowTasks, activities, sent }) => ({ workflowTasks, activities, sent }))),
  );
  // Kill A while it has sends running (its metrics: activity tasks received but not finished), if that comes within 20 s.
  await eventually('A to have sends running', async () => (await load(ports[0])).inFlight !== 0, { timeoutMs: 20_000, intervalMs: 0, optional: true });
  await a.kill('SIGKILL');
  const atKill = smtp.mails.length;
  // What the server sees A running right after its death: the sends it had running at the kill.
  const runningAtKill = await sendsRunningOn(client, ids.map(customerWorkflowId), workerIdentity(a.output()));
  expect(atKill).toBeLessThan(CUSTOMERS); // it died mid-flight
  expect(a.proc.signalCode).toBe('SIGKILL');

  // The survivor finishes, including what the dead one had running (retried after its heartbeat timeout).
  await until(
    'a mail for every customer',
    () => perRecipient(smtp.mails).size >= CUSTOMERS,
    180_000,
    () => `${perRecipient(smtp.mails).size}/${CUSTOMERS}`,
  );
  // Done means every send is recorded as sent on its customer, not only that a mail arrived.
  await untilRecordedAsSent(client, ids, 'welcome/hello', 150_000);
  const after = await load(ports[1]);
  const outcome = expectKillGuarantee(
    ids.map((id) => ({ id, address: `${id}@workers.example` })),
    smtp.mails,
    runningAtKill,
  );
  reliabilityLine(
    `two workers, ${CUSTOMERS} customers: before the kill A ran ${before[0].workflowTasks} workflow tasks / ${before[0].activities} sends, B ${before[1].workflowTasks} / ${before[1].activities}; ` +
      `A SIGKILLed with ${outcome.runningAtKill} send(s) running, at ${atKill} mails; B finished (${after.activities} sends in all); ${outcome.mailed}/${CUSTOMERS} customers mailed, lost ${outcome.lost}, duplicated ${outcome.duplicated} (same Message-ID)`,
  );
  expect(after.sent).toBeGreaterThan(before[1].sent);
}, 360_000);
