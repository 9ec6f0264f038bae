// Facts with real processes: a Temporal dev server, PostgreSQL, an SMTP sink and worker processes with
// DATABASE_URL. The truth is what the workflows themselves say happened (the customer's ledger and the
// journeys' timelines, asked by query); the facts table must hold exactly that, however the worker and the
// database were treated: no fact lost, none counted twice. Bounded: every wait has a deadline.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { sendEvent } from '../../client/events';
import type { EngineConfig } from '../../domain/engineConfig';
import { customerWorkflowId, journeyStatusQuery, stateQuery } from '../../domain/messages';
import { startPostgresProcess, type PostgresProcess } from '../../harness/postgresProcess';
import { startSmtpSink, type SmtpSink } from '../../harness/smtpSink';
import { startTemporalProcess, type TemporalProcess } from '../../harness/temporalProcess';
import { startWorkerProcess, type WorkerProcess } from '../../harness/workerProcess';
import { migrate } from '../../store/migrate';
import { perRecipient, reliabilityLine, signUpForWelcome, until, untilRecordedAsSent } from '../helpers/faults';

const dir = mkdtempSync(join(tmpdir(), 'omnijourney-facts-'));
const spoolDir = join(dir, 'spool');
let temporal: TemporalProcess;
let postgres: PostgresProcess;
let smtp: SmtpSink;
let client: Client;
let db: Pool;
const workers: WorkerProcess[] = [];
const engine: Partial<EngineConfig> = { policy: { caps: { perDay: 10, perWeek: 20 }, quietHours: null } };

beforeAll(async () => {
  [temporal, postgres, smtp] = await Promise.all([
    startTemporalProcess(join(dir, 'temporal.sqlite')),
    // Its own temporary folder: as root the server runs as the postgres user, who cannot enter `dir` (mode 0700).
    startPostgresProcess(mkdtempSync(join(tmpdir(), 'omnijourney-facts-pg-')), { fast: true }),
    startSmtpSink(0, { acceptDelayMs: 40 }),
  ]);
  await migrate(postgres.url);
  db = new Pool({ connectionString: postgres.url, max: 2 });
  db.on('error', () => {});
  client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await client?.connection.close();
  await db?.end();
  await smtp?.close();
  await Promise.all([temporal?.stop(), postgres?.stop()]);
});

async function worker(taskQueue: string): Promise<WorkerProcess> {
  const w = await startWorkerProcess({
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    OMNIJOURNEY_DATA_DIR: join(dir, 'data'),
    DATABASE_URL: postgres.url,
    FACTS_SPOOL_DIR: spoolDir,
    WORKER_METRICS_PORT: '0',
    PAYLOAD_ENCRYPTION: 'off',
  });
  workers.push(w);
  return w;
}

/** What the workflows say happened to these customers, as `kind|status|detail` rows per customer. */
async function truthOf(ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const id of ids) {
    const state = await client.workflow.getHandle(customerWorkflowId(id)).query(stateQuery);
    const rows: string[] = [];
    for (const e of state.ledger) {
      for (const _hold of e.holds ?? []) rows.push(`delivery|deferred|${e.template}`);
      if (e.status !== 'sending') rows.push(`delivery|${e.status}|${e.template}`);
    }
    for (const r of Object.values(state.journeys)) {
      const status = await client.workflow.getHandle(r.workflowId).query(journeyStatusQuery);
      for (const t of status.timeline) {
        if (t.kind === 'entered' || t.kind === 'converted' || t.kind === 'completed') rows.push(`${t.kind}||`);
        else if (t.kind === 'step') rows.push(`step||${t.step}`);
        else if (t.kind === 'exited') rows.push(`exited||${t.reason}`);
      }
    }
    for (const _r of state.rejections) rows.push('rejected||');
    out.set(id, rows.sort());
  }
  return out;
}

/** The same rows from the facts table (not-entered facts have no counterpart in the workflows' state). */
async function factsOf(ids: string[]): Promise<Map<string, string[]>> {
  const res = await db.query<{ customer_id: string; kind: string; status: string | null; detail: string | null }>(
    `SELECT customer_id, kind, status,
            CASE kind WHEN 'delivery' THEN template WHEN 'step' THEN step WHEN 'exited' THEN reason ELSE '' END AS detail
       FROM facts WHERE customer_id = ANY($1) AND kind <> 'not-entered'`,
    [ids],
  );
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const r of res.rows) out.get(r.customer_id)?.push(`${r.kind}|${r.status ?? ''}|${r.detail ?? ''}`);
  for (const rows of out.values()) rows.sort();
  return out;
}

/** Waits until the facts table holds exactly what the workflows say, for every customer. */
async function untilFactsMatch(ids: string[], timeoutMs: number): Promise<void> {
  let diff = '';
  await until(
    'the facts table to hold what the workflows recorded',
    async () => {
      const [truth, facts] = await Promise.all([truthOf(ids), factsOf(ids)]);
      const wrong = ids.filter((id) => JSON.stringify(truth.get(id)) !== JSON.stringify(facts.get(id)));
      diff = wrong
        .slice(0, 3)
        .map((id) => `${id}: workflows ${JSON.stringify(truth.get(id))} facts ${JSON.stringify(facts.get(id))}`)
        .join('\n');
      return wrong.length === 0;
    },
    timeoutMs,
    () => diff,
  );
}

const spooled = (): string[] => readdirSync(spoolDir).filter((n) => n.endsWith('.jsonl') || n.endsWith('.open'));

test('a worker SIGKILLed in the middle of 60 sign-ups: the next worker ships what the first spooled, and the facts are exactly what the workflows did', async () => {
  const ids = Array.from({ length: 60 }, (_, i) => `facts-kill-${i}`);
  const first = await worker('facts-kill');
  await signUpForWelcome(client, ids, { taskQueue: 'facts-kill', engine, domain: 'example.com', concurrency: 12 });
  await until('the first 20 mails', () => smtp.mails.length >= 20, 120_000);
  await first.kill('SIGKILL');
  const atKill = smtp.mails.length;

  await worker('facts-kill');
  await until('a mail for every customer', () => ids.every((id) => perRecipient(smtp.mails).has(`${id}@example.com`)), 180_000);
  await untilRecordedAsSent(client, ids, 'welcome/hello', 120_000);
  // A conversion for a third of them, and a second sign-up (welcome never re-enters) for another third.
  const options = { taskQueue: 'facts-kill', engine };
  for (const [i, id] of ids.entries()) {
    const base = { customerId: id, properties: {}, traits: {}, context: {}, type: 'track' as const };
    if (i % 3 === 0) await sendEvent(client, { ...base, messageId: `${id}-sub`, name: 'subscription.started' }, options);
    if (i % 3 === 1) await sendEvent(client, { ...base, messageId: `${id}-again`, name: 'user.signed_up' }, options);
  }
  await untilFactsMatch(ids, 120_000);

  const counts = await db.query<{ kind: string; n: string }>(
    "SELECT kind || coalesce('/' || reason, '') AS kind, count(*) AS n FROM facts WHERE customer_id LIKE 'facts-kill-%' GROUP BY 1 ORDER BY 1",
  );
  const byKind = Object.fromEntries(counts.rows.map((r) => [r.kind, Number(r.n)]));
  expect(byKind.entered).toBe(60);
  expect(byKind.converted).toBe(20);
  expect(byKind['not-entered/never']).toBe(20);
  reliabilityLine(`facts with a worker SIGKILLed at ${atKill}/60 mails: ${JSON.stringify(byKind)}; equal to the workflows' own records`);
}, 420_000);

test('PostgreSQL down when a worker starts and while customers sign up: the journeys go on, facts wait in the spool and all arrive once it is back', async () => {
  const ids = Array.from({ length: 20 }, (_, i) => `facts-dbdown-${i}`);
  await postgres.stop();
  const w = await worker('facts-dbdown');
  expect(w.output()).toContain('facts: cannot migrate the database now');
  await signUpForWelcome(client, ids, { taskQueue: 'facts-dbdown', engine, domain: 'example.com', concurrency: 10 });
  await untilRecordedAsSent(client, ids, 'welcome/hello', 120_000);
  // The facts are on disk, not lost, while the database is away.
  await until(
    'facts waiting in the spool',
    () => spooled().length > 0,
    30_000,
    () => JSON.stringify(readdirSync(spoolDir)),
  );
  const downFor = Date.now();
  await new Promise((r) => setTimeout(r, 15_000));
  await postgres.start();
  await untilFactsMatch(ids, 120_000);
  reliabilityLine(`facts with PostgreSQL down ${Math.round((Date.now() - downFor) / 1000)} s: all ${ids.length} customers' facts arrived after it came back`);
}, 300_000);

test('facts reconcile: a worker that recorded no facts (as if its spool were lost with its disk); replaying the histories writes exactly the missing facts, and a second run writes none', async () => {
  const ids = Array.from({ length: 10 }, (_, i) => `facts-rec-${i}`);
  const w = await startWorkerProcess({
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: 'facts-rec',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    OMNIJOURNEY_DATA_DIR: join(dir, 'data'),
    WORKER_METRICS_PORT: '0',
    PAYLOAD_ENCRYPTION: 'off',
  });
  workers.push(w);
  expect(w.output()).toContain('facts: off');
  await signUpForWelcome(client, ids, { taskQueue: 'facts-rec', engine, domain: 'example.com', concurrency: 10 });
  await untilRecordedAsSent(client, ids, 'welcome/hello', 120_000);
  expect((await factsOf(ids)).get(ids[0])).toEqual([]);

  const reconcile = () =>
    promisify(execFile)(process.execPath, [join(__dirname, '..', '..', 'bin', 'omnijourney.mjs'), 'facts', 'reconcile'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: temporal.address,
        DATABASE_URL: postgres.url,
        PAYLOAD_ENCRYPTION: 'off',
        OMNIJOURNEY_DATA_DIR: join(dir, 'data'),
      },
      timeout: 240_000,
    });
  const first = await reconcile();
  const written = Number(/(\d+) of them missing from the store and written now/.exec(first.stdout)?.[1]);
  await untilFactsMatch(ids, 10_000);
  // entered, 2 steps and a sent mail per customer were missing; every other execution's facts were already there.
  expect(written).toBe(ids.length * 4);
  const again = await reconcile();
  expect(again.stdout).toMatch(/ 0 of them missing from the store and written now/);
  reliabilityLine(`facts reconcile: ${first.stdout.trim().split('\n').at(-1)} Run again: ${again.stdout.trim().split('\n').at(-1)}`);
}, 360_000);
