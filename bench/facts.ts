// The report's speed over a big journey: `facts` workload of `npm run bench`. One journey's facts are generated in
// the database itself (INSERT … SELECT over generate_series: a million rows in seconds, where a million
// insertFacts rows would measure the client), then `buildReport` (funnel, messages, conversions, splits) runs a
// few times and the median is the number. The target: under a second on the bench machine (2 cores).
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import { startPostgresProcess } from '../harness/postgresProcess';
import { buildReport } from '../reporting/report';
import { migrate } from '../store/migrate';
import { openPool } from '../store/pool';
import { type FactsResult, progress } from './report';

export type { FactsResult };

export const BENCH_JOURNEY = 'bench-welcome';
/** Every generated run has exactly this many facts. */
export const FACTS_PER_RUN = 10;
const T0 = '2026-01-01T00:00:00Z';

/**
 * One journey's runs, FACTS_PER_RUN facts each, shaped like a welcome journey with a 50/50 offer split and a 10%
 * holdout: entered, two steps, two splits, a first message (sent, suppressed for consent or a cap, deferred, by
 * email or SMS), the SMS's provider status or a reminder email, a conversion (some after the run ended) or a third
 * step, a second message,
 * and an ending (completed, exited, failed, or still running). Residues of the run number pick each variant, so
 * the mix is the same at every size. Runs enter one a minute from T0.
 */
export async function generateFacts(db: Pick<Pool, 'query'>, runs: number, journey = BENCH_JOURNEY): Promise<number> {
  const res = await db.query(
    `INSERT INTO facts (id, kind, at, journey, version, customer_id, run, workflow_id, run_id, step, split, arm, channel, template, status, reason, message_id)
     SELECT g.wf || '/' || g.rid || '/' || g.n, g.kind, g.at, $2, 1, g.cust, g.run, g.wf, g.rid, g.step, g.split, g.arm, g.channel, g.template, g.status, g.reason,
            CASE g.kind WHEN 'delivery' THEN g.run || '.' || g.n WHEN 'provider' THEN g.run || '.5' END
     FROM (
       SELECT r.*, s.n,
         CASE s.n WHEN 1 THEN 'entered' WHEN 2 THEN 'step' WHEN 3 THEN 'split' WHEN 4 THEN 'split' WHEN 5 THEN 'delivery' WHEN 6 THEN 'step'
           WHEN 7 THEN CASE WHEN r.i % 4 = 2 THEN 'provider' ELSE 'delivery' END WHEN 8 THEN CASE WHEN r.converts THEN 'converted' ELSE 'step' END WHEN 9 THEN 'delivery'
           ELSE CASE WHEN r.res IN (16, 18) THEN 'step' WHEN r.res IN (8, 12) THEN 'exited' WHEN r.res = 14 THEN 'failed' ELSE 'completed' END END AS kind,
         -- Six hours apart; a conversion after the end comes a day after the run completed.
         r.entered + make_interval(hours => CASE WHEN s.n = 8 AND r.converts AND r.res IN (6, 19) THEN 84 ELSE s.n * 6 END) AS at,
         CASE s.n WHEN 2 THEN 'welcome' WHEN 6 THEN 'wait-for-purchase' WHEN 8 THEN 'tips' WHEN 10 THEN 'last-chance' END AS step,
         CASE s.n WHEN 3 THEN 'offer' WHEN 4 THEN 'holdout' END AS split,
         CASE s.n WHEN 3 THEN CASE WHEN r.i % 2 = 0 THEN 'a' ELSE 'b' END WHEN 4 THEN CASE WHEN r.i % 10 = 0 THEN 'control' ELSE 'treatment' END END AS arm,
         CASE WHEN s.n = 5 AND r.res = 9 THEN NULL WHEN s.n IN (5, 7) AND r.i % 4 = 2 THEN 'sms' WHEN s.n IN (5, 7, 9) THEN 'email' END AS channel,
         CASE WHEN s.n = 5 OR (s.n = 7 AND r.i % 4 = 2) THEN 'welcome/hello' WHEN s.n = 7 THEN 'welcome/reminder' WHEN s.n = 9 THEN 'welcome/tips' END AS template,
         CASE s.n
           WHEN 5 THEN CASE WHEN r.res IN (1, 9) THEN 'suppressed' WHEN r.res = 3 THEN 'deferred' ELSE 'sent' END
           WHEN 7 THEN CASE WHEN r.i % 4 <> 2 THEN 'sent' WHEN r.res = 14 THEN 'undelivered' ELSE 'delivered' END
           WHEN 9 THEN CASE WHEN r.res = 4 THEN 'failed' ELSE 'sent' END END AS status,
         CASE
           WHEN s.n = 5 AND r.res = 1 THEN 'consent' WHEN s.n = 5 AND r.res = 9 THEN 'cap' WHEN s.n = 5 AND r.res = 3 THEN 'quiet-hours'
           WHEN s.n = 7 AND r.i % 4 = 2 AND r.res = 14 THEN '30003' WHEN s.n = 8 AND r.converts AND r.res IN (6, 19) THEN 'after-end'
           WHEN s.n = 10 AND r.res IN (8, 12) THEN 'unsubscribed' WHEN s.n = 10 AND r.res = 14 THEN 'template error' END AS reason
       FROM (
         SELECT i, i % 20 AS res, i % 20 IN (0, 2, 3, 6, 7, 9, 11, 13, 17, 18, 19) AS converts,
           'journey:' || $2 || ':c' || (i % greatest(1, ($1::int * 9) / 10)) AS wf, 'r' || i AS rid,
           'journey:' || $2 || ':c' || (i % greatest(1, ($1::int * 9) / 10)) || '/' || (i / greatest(1, ($1::int * 9) / 10) + 1) AS run,
           'c' || (i % greatest(1, ($1::int * 9) / 10)) AS cust,
           $3::timestamptz + make_interval(mins => i) AS entered
         FROM generate_series(0, $1::int - 1) AS i
       ) r CROSS JOIN generate_series(1, ${FACTS_PER_RUN}) AS s(n)
     ) g`,
    [runs, journey, T0],
  );
  return res.rowCount ?? 0;
}

const medianOf = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** PostgreSQL's background processes, whose work (writing out the generated facts, above all) is not the report's. */
const BACKGROUND = /^postgres: (checkpointer|background writer|walwriter|autovacuum launcher|logical replication launcher|walsummarizer)/;

/** CPU time (user + system, ms) PostgreSQL has spent so far on queries: the children the postmaster reaped (parallel
 *  workers that exited) and its live children but the background ones (the connections' backends, and PostgreSQL
 *  18's I/O workers, which read for them). Linux /proc; null elsewhere. */
export function postgresCpuMs(postmasterPid: number): number | null {
  // /proc/<pid>/stat after the command's closing paren: state, ppid, …, utime (14), stime (15), cutime (16), cstime (17), in USER_HZ (100/s).
  const stat = (pid: string) =>
    readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ')
      .map(Number);
  try {
    const own = stat(String(postmasterPid));
    let ticks = own[13] + own[14];
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const f = stat(pid);
        if (f[1] === postmasterPid && !BACKGROUND.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) ticks += f[11] + f[12];
      } catch {
        // the process exited meanwhile
      }
    }
    return ticks * 10;
  } catch {
    return null;
  }
}

/** Times `repeats` reports: wall ms each, and PostgreSQL's CPU ms for each when the postmaster is known. */
async function timeReports(pool: Pool, repeats: number, window: { since?: string }, postmasterPid?: number): Promise<{ ms: number[]; cpuMs: number[] }> {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const cpu = postmasterPid ? postgresCpuMs(postmasterPid) : null;
    const t = performance.now();
    await buildReport(pool, BENCH_JOURNEY, window);
    ms.push(performance.now() - t);
    const after = postmasterPid ? postgresCpuMs(postmasterPid) : null;
    if (cpu !== null && after !== null) cpuMs.push(after - cpu);
  }
  return { ms, cpuMs };
}

/** Generates `facts` facts (a multiple of FACTS_PER_RUN) into an empty, migrated database and times the report:
 *  over the whole journey, over a window of its last tenth, and (last, as it drops them) without the indexes of
 *  store/migrations/1764490000000_report_indexes.sql, which is what they are worth. With the postmaster's pid it
 *  also counts the CPU PostgreSQL spends per report, which other work on the machine does not inflate. */
export async function benchFacts(
  databaseUrl: string,
  options: { facts?: number; repeats?: number; targetMs?: number; postmasterPid?: number } = {},
): Promise<FactsResult> {
  const facts = options.facts ?? 1_000_000;
  const runs = Math.ceil(facts / FACTS_PER_RUN);
  const repeats = options.repeats ?? 5;
  const targetMs = options.targetMs ?? 1000;
  const pool = openPool(databaseUrl);
  try {
    const t = performance.now();
    // Committed synchronously, whatever the server's default (the bench's server runs without it): VACUUM can
    // mark a page all-visible, which index-only scans need, only once the commit that wrote it is on disk.
    const client = await pool.connect();
    let inserted: number;
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL synchronous_commit = on');
      inserted = await generateFacts(client, runs);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    // What autovacuum does on its own once a table has grown by a fifth.
    await pool.query('VACUUM ANALYZE facts');
    const insertMs = performance.now() - t;
    // Untimed runs warm the caches and the plans, as a report asked for again does.
    for (let k = 0; k < 2; k++) {
      const report = await buildReport(pool, BENCH_JOURNEY);
      if (report.entered !== runs) throw new Error(`the report counted ${report.entered} runs of ${runs}`);
    }
    const whole = await timeReports(pool, repeats, {}, options.postmasterPid);
    const since = new Date(Date.parse(T0) + Math.floor(runs * 0.9) * 60_000).toISOString();
    const window = await timeReports(pool, repeats, { since });
    await pool.query('DROP INDEX facts_report, facts_report_steps, facts_report_arms');
    const without = await timeReports(pool, Math.min(repeats, 3), {});
    const medianMs = medianOf(whole.ms);
    return {
      facts: inserted,
      runs,
      journey: BENCH_JOURNEY,
      insertMs: Math.round(insertMs),
      reportMs: whole.ms.map(Math.round),
      medianMs: Math.round(medianMs),
      postgresCpuMs: whole.cpuMs.length ? Math.round(medianOf(whole.cpuMs)) : null,
      windowMedianMs: Math.round(medianOf(window.ms)),
      withoutReportIndexesMedianMs: Math.round(medianOf(without.ms)),
      targetMs,
      meetsTarget: medianMs < targetMs,
    };
  } finally {
    await pool.end();
  }
}

/** The bench's `facts` workload: its own PostgreSQL (harness/postgresProcess.ts, a temporary folder, fsync off as
 *  in the tests: it changes how fast the facts are written, not how fast they are read), migrated as a worker
 *  migrates it, then benchFacts. */
export async function runFacts(facts: number): Promise<FactsResult> {
  const dir = mkdtempSync(join(tmpdir(), 'omnijourney-bench-facts-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as the postgres user, which must enter this folder
  const postgres = await startPostgresProcess(join(dir, 'postgres'), { fast: true });
  try {
    await migrate(postgres.url);
    progress(`facts: generating ${facts.toLocaleString('en-US')} facts of one journey`);
    const result = await benchFacts(postgres.url, { facts, postmasterPid: postgres.pid() });
    progress(`facts: generated and indexed in ${(result.insertMs / 1000).toFixed(1)} s`);
    progress(`report over ${result.facts.toLocaleString('en-US')} facts: ${result.medianMs} ms (target < ${result.targetMs} ms)`);
    progress(`facts: PostgreSQL's CPU per report ${result.postgresCpuMs ?? '–'} ms, over all its processes (what load elsewhere does not inflate)`);
    progress(
      `facts: each run ${result.reportMs.join(', ')} ms; over the last tenth of the runs ${result.windowMedianMs} ms; without the report's indexes ${result.withoutReportIndexesMedianMs} ms`,
    );
    return result;
  } finally {
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
