// The facts suites' setup (test/integration/facts*.devserver.test.ts): a Temporal dev server, PostgreSQL, an
// SMTP sink and worker processes with DATABASE_URL. The truth is what the workflows themselves say happened
// (the customer's ledger and the journeys' timelines, asked by query); the facts table must hold exactly that.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import type { EngineConfig } from '../../domain/engineConfig';
import { customerWorkflowId, journeyStatusQuery, stateQuery } from '../../domain/messages';
import { startPostgresProcess, type PostgresProcess } from '../../harness/postgresProcess';
import { startSmtpSink, type SmtpSink } from '../../harness/smtpSink';
import { startTemporalProcess, type TemporalProcess } from '../../harness/temporalProcess';
import { startWorkerProcess, type WorkerProcess } from '../../harness/workerProcess';
import { migrate } from '../../store/migrate';
import { until } from './faults';

export const dir = mkdtempSync(join(tmpdir(), 'omnijourney-facts-'));
export const spoolDir = join(dir, 'spool');
/** The servers of the suite, set in its beforeAll. */
export const s = {} as { temporal: TemporalProcess; postgres: PostgresProcess; smtp: SmtpSink; client: Client; db: Pool };
export const workers: WorkerProcess[] = [];
export const engine: Partial<EngineConfig> = { policy: { caps: { perDay: 10, perWeek: 20 }, quietHours: null } };

/** Registers the suite's beforeAll and afterAll: a dev server, PostgreSQL (migrated), an SMTP sink. */
export function factsSuite(): void {
  beforeAll(async () => {
    [s.temporal, s.postgres, s.smtp] = await Promise.all([
      startTemporalProcess(join(dir, 'temporal.sqlite')),
      // Its own temporary folder: as root the server runs as the postgres user, who cannot enter `dir` (mode 0700).
      startPostgresProcess(mkdtempSync(join(tmpdir(), 'omnijourney-facts-pg-')), { fast: true }),
      startSmtpSink(0, { acceptDelayMs: 40 }),
    ]);
    await migrate(s.postgres.url);
    s.db = new Pool({ connectionString: s.postgres.url, max: 2 });
    s.db.on('error', () => {});
    s.client = new Client({ connection: await Connection.connect({ address: s.temporal.address }) });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await s.client?.connection.close();
    await s.db?.end();
    await s.smtp?.close();
    await Promise.all([s.temporal?.stop(), s.postgres?.stop()]);
  });
}

/** A worker process on `taskQueue` writing facts to the suite's PostgreSQL (`withFacts: false`: no DATABASE_URL). */
export async function worker(taskQueue: string, { withFacts = true } = {}): Promise<WorkerProcess> {
  const w = await startWorkerProcess({
    TEMPORAL_ADDRESS: s.temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(s.smtp.port),
    OMNIJOURNEY_DATA_DIR: join(dir, 'data'),
    ...(withFacts ? { DATABASE_URL: s.postgres.url, FACTS_SPOOL_DIR: spoolDir } : {}),
    WORKER_METRICS_PORT: '0',
    PAYLOAD_ENCRYPTION: 'off',
  });
  workers.push(w);
  return w;
}

/** What the workflows say happened to these customers, as `kind|status|detail` rows per customer. */
export async function truthOf(ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const id of ids) {
    const state = await s.client.workflow.getHandle(customerWorkflowId(id)).query(stateQuery);
    const rows: string[] = [];
    for (const e of state.ledger) {
      for (const _hold of e.holds ?? []) rows.push(`delivery|deferred|${e.template}`);
      if (e.status !== 'sending') rows.push(`delivery|${e.status}|${e.template}`);
    }
    for (const r of Object.values(state.journeys)) {
      const status = await s.client.workflow.getHandle(r.workflowId).query(journeyStatusQuery);
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
export async function factsOf(ids: string[]): Promise<Map<string, string[]>> {
  const res = await s.db.query<{ customer_id: string; kind: string; status: string | null; detail: string | null }>(
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
export async function untilFactsMatch(ids: string[], timeoutMs: number): Promise<void> {
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

export const spooled = (): string[] => readdirSync(spoolDir).filter((n) => n.endsWith('.jsonl') || n.endsWith('.open'));
