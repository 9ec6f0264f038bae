// The SQL behind `omnijourney report` and the dashboard: raw aggregates of one journey's facts over a window
// (reporting/report.ts turns them into a JourneyReport). A window holds the runs whose `entered` fact is in
// [since, until), with every fact of those runs wherever it falls; not-entered and rejected facts count by their
// own time.
//
// Fast over millions of facts because each query reads only the kinds it needs and never sorts them: the
// facts_report index (store/migrations/1764490000000_report_indexes.sql) holds each kind's facts in run order
// with the columns the report reads, so a kind is one index-only range, grouped per run as it streams by and
// merge-joined with the others on run. Funnel steps and split arms become bits of a per-run mask (their names
// come first, from reportNames), so "distinct runs that reached a step" is a bit count, not a DISTINCT over
// every step fact. A run's facts are never earlier than its entry, so `since` bounds them all. docs/outcomes.md
// has the measurements.
import type { Pool } from 'pg';
import { FACT_KINDS } from '../domain/facts';

type Queryable = Pick<Pool, 'query'>;

/** [since, until) as the SQL takes it: ISO instants, open ends as PostgreSQL's -infinity and infinity. */
export interface FactRange {
  since?: string;
  until?: string;
}

const bounds = (r: FactRange): [string, string] => [r.since ?? '-infinity', r.until ?? 'infinity'];

/** At most this many steps per journey in the funnel (the per-run latest step is encoded next to its time in
 *  one bigint, in the low 10 bits). Steps first reached after them are left out of the funnel. */
export const MAX_STEPS = 1023;
const BITS = 62;

export interface ReportNames {
  /** Steps in the order they were first reached (at or after `since`). */
  steps: string[];
  /** Split arms, by split then arm. */
  arms: Array<{ split: string; arm: string }>;
}

/** The step names and split arms that the window's runs may have: those of the journey's step and split facts
 *  at or after `since` (every fact of a run in the window is). Names no run of the window has count 0 later. A
 *  skip over the partial indexes facts_report_steps and facts_report_arms: one probe per distinct name, however
 *  many facts there are. */
export async function reportNames(db: Queryable, journey: string, range: FactRange): Promise<ReportNames> {
  const [since] = bounds(range);
  const [steps, arms] = await Promise.all([
    db.query<{ step: string }>(
      `WITH RECURSIVE s AS (
         (SELECT step FROM facts WHERE journey = $1 AND kind = 'step' AND step IS NOT NULL ORDER BY step LIMIT 1)
         UNION ALL
         SELECT (SELECT f.step FROM facts f WHERE f.journey = $1 AND f.kind = 'step' AND f.step > s.step ORDER BY f.step LIMIT 1) FROM s WHERE s.step IS NOT NULL
       )
       SELECT step FROM (
         SELECT s.step, (SELECT min(f.at) FROM facts f WHERE f.journey = $1 AND f.kind = 'step' AND f.step = s.step AND f.at >= $2) AS first_at
         FROM s WHERE s.step IS NOT NULL
       ) x WHERE first_at IS NOT NULL ORDER BY first_at, step`,
      [journey, since],
    ),
    db.query<{ split: string; arm: string }>(
      `WITH RECURSIVE a AS (
         (SELECT split, arm FROM facts WHERE journey = $1 AND kind = 'split' AND split IS NOT NULL AND arm IS NOT NULL ORDER BY split, arm LIMIT 1)
         UNION ALL
         SELECT x.split, x.arm FROM a, LATERAL (
           SELECT f.split, f.arm FROM facts f WHERE f.journey = $1 AND f.kind = 'split' AND f.arm IS NOT NULL AND (f.split, f.arm) > (a.split, a.arm)
           ORDER BY f.split, f.arm LIMIT 1
         ) x
       )
       SELECT split, arm FROM a
       WHERE EXISTS (SELECT 1 FROM facts f WHERE f.journey = $1 AND f.kind = 'split' AND f.split = a.split AND f.arm = a.arm AND f.at >= $2)
       ORDER BY split, arm`,
      [journey, since],
    ),
  ]);
  return { steps: steps.rows.map((r) => r.step).slice(0, MAX_STEPS), arms: arms.rows };
}

export interface RunOutcomes {
  entered: number;
  active: number;
  completed: number;
  exited: number;
  failed: number;
  /** Runs a goal event ended (a converted fact, no later step, no completed/exited/failed fact). */
  endedByGoal: number;
  /** Runs with at least one converted fact. */
  converted: number;
  /** Runs whose conversions all came after the run had ended. */
  afterEnd: number;
  medianMsToConvert: number | null;
  /** Per step of the list given: runs that reached it, and active runs whose latest step it is. */
  reached: number[];
  now: number[];
}

/** `CASE <col> WHEN $n THEN 1 … END` over the names, their values appended to params: the index (1-based) of a
 *  fact's name, NULL for a name not in the list. */
function indexCase(column: string, names: string[], params: unknown[]): string {
  if (names.length === 0) return 'NULL::int';
  const whens = names.map((n, i) => {
    params.push(n);
    return `WHEN $${params.length} THEN ${i + 1}`;
  });
  return `CASE ${column} ${whens.join(' ')} END`;
}

/** One bigint mask per BITS names: `bit_or(...) AS <prefix><chunk>` of the indexes in `idx`. */
function maskColumns(prefix: string, count: number): string[] {
  const out: string[] = [];
  for (let c = 0; c * BITS < count; c++)
    out.push(`bit_or(1::bigint << (idx - ${c * BITS + 1})) FILTER (WHERE idx > ${c * BITS} AND idx <= ${(c + 1) * BITS}) AS ${prefix}${c}`);
  return out.length ? out : [`NULL::bigint AS ${prefix}0`];
}

/** `count(*) FILTER (WHERE <mask has bit i> AND extra)` for each name, as one int[]. */
function bitCounts(prefix: string, count: number, extra = 'true'): string {
  const cols = Array.from(
    { length: count },
    (_, i) => `count(*) FILTER (WHERE ${prefix}${Math.floor(i / BITS)} & ${1n << BigInt(i % BITS)}::bigint <> 0 AND ${extra})`,
  );
  return cols.length ? `ARRAY[${cols.join(', ')}]::int[]` : `'{}'::int[]`;
}

/** The window's runs, one row each in run order: $1 journey, $2 since, $3 until. */
const RUNS = `runs AS (
  SELECT run, min(at) AS entered_at FROM facts WHERE journey = $1 AND kind = 'entered' AND run IS NOT NULL AND at >= $2 AND at < $3 GROUP BY run
)`;

/**
 * Per run of the window: how it ended (or that it is active), its first conversion, the steps it reached and its
 * latest step; summed up. Each CTE reads one kind in run order (facts_report) and yields at most one row per run,
 * so the joins are merge joins and nothing is hashed or sorted but the conversion times for the median.
 */
export async function runOutcomes(db: Queryable, journey: string, range: FactRange, steps: string[]): Promise<RunOutcomes> {
  const params: unknown[] = [journey, ...bounds(range)];
  const stepIdx = indexCase('step', steps, params);
  const masks = maskColumns('s', steps.length);
  const sql = `
    WITH ${RUNS},
    steps AS (
      -- The latest step: its time in ms and its index in the low 10 bits, so one max() finds both.
      SELECT run, ${masks.join(', ')}, max(ms * 1024 + coalesce(idx, 0)) AS latest FROM (
        SELECT run, round(date_part('epoch', at) * 1000)::bigint AS ms, ${stepIdx} AS idx FROM facts WHERE journey = $1 AND kind = 'step' AND at >= $2
      ) f GROUP BY run
    ),
    conv AS (
      SELECT run, min(at) AS first_at, bool_and(reason IS NOT DISTINCT FROM 'after-end') AS after_end,
        round(date_part('epoch', max(at) FILTER (WHERE reason IS DISTINCT FROM 'after-end')) * 1000)::bigint AS goal_ms
      FROM facts WHERE journey = $1 AND kind = 'converted' AND at >= $2 GROUP BY run
    ),
    completed AS (SELECT DISTINCT run FROM facts WHERE journey = $1 AND kind = 'completed' AND at >= $2),
    exited AS (SELECT DISTINCT run FROM facts WHERE journey = $1 AND kind = 'exited' AND at >= $2),
    failed AS (SELECT DISTINCT run FROM facts WHERE journey = $1 AND kind = 'failed' AND at >= $2),
    per_run AS (
      SELECT r.entered_at, c.first_at AS converted_at, c.after_end, ${masks.map((_, i) => `s.s${i}`).join(', ')}, (s.latest % 1024)::int AS latest_step,
        CASE WHEN fl.run IS NOT NULL THEN 'failed' WHEN e.run IS NOT NULL THEN 'exited' WHEN d.run IS NOT NULL THEN 'completed'
          WHEN c.goal_ms IS NOT NULL AND (s.latest IS NULL OR s.latest / 1024 <= c.goal_ms) THEN 'goal' END AS ending
      FROM runs r LEFT JOIN steps s USING (run) LEFT JOIN conv c USING (run)
        LEFT JOIN completed d USING (run) LEFT JOIN exited e USING (run) LEFT JOIN failed fl USING (run)
    )
    SELECT count(*)::int AS entered,
      count(*) FILTER (WHERE ending IS NULL)::int AS active,
      count(*) FILTER (WHERE ending = 'completed')::int AS completed,
      count(*) FILTER (WHERE ending = 'exited')::int AS exited,
      count(*) FILTER (WHERE ending = 'failed')::int AS failed,
      count(*) FILTER (WHERE ending = 'goal')::int AS ended_by_goal,
      count(converted_at)::int AS converted,
      count(*) FILTER (WHERE after_end)::int AS after_end,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', converted_at - entered_at) * 1000) AS median_ms,
      ${bitCounts('s', steps.length)} AS reached,
      ARRAY[${steps.map((_, i) => `count(*) FILTER (WHERE ending IS NULL AND latest_step = ${i + 1})`).join(', ') || 'NULL'}]::int[] AS now
    FROM per_run`;
  const row = (await db.query(sql, params)).rows[0];
  return {
    entered: row.entered,
    active: row.active,
    completed: row.completed,
    exited: row.exited,
    failed: row.failed,
    endedByGoal: row.ended_by_goal,
    converted: row.converted,
    afterEnd: row.after_end,
    medianMsToConvert: row.median_ms === null ? null : Number(row.median_ms),
    reached: row.reached,
    now: steps.length ? row.now : [],
  };
}

/** Per split arm of the list given: the window's runs in it, and those of them with a converted fact. A statement
 *  of its own, so it runs beside runOutcomes on another connection (and core). */
export async function armOutcomes(
  db: Queryable,
  journey: string,
  range: FactRange,
  arms: ReportNames['arms'],
): Promise<{ runs: number[]; conversions: number[] }> {
  if (arms.length === 0) return { runs: [], conversions: [] };
  const params: unknown[] = [journey, ...bounds(range)];
  const armIdx = `CASE ${arms
    .map((a, i) => {
      params.push(a.split, a.arm);
      return `WHEN split = $${params.length - 1} AND arm = $${params.length} THEN ${i + 1}`;
    })
    .join(' ')} END`;
  const masks = maskColumns('a', arms.length);
  const sql = `
    WITH ${RUNS},
    arms AS (
      SELECT run, ${masks.join(', ')} FROM (SELECT run, ${armIdx} AS idx FROM facts WHERE journey = $1 AND kind = 'split' AND at >= $2) f GROUP BY run
    ),
    conv AS (SELECT DISTINCT run FROM facts WHERE journey = $1 AND kind = 'converted' AND at >= $2),
    per_run AS (
      SELECT ${masks.map((_, i) => `a.a${i}`).join(', ')}, c.run IS NOT NULL AS converted
      FROM runs r JOIN arms a USING (run) LEFT JOIN conv c USING (run)
    )
    SELECT ${bitCounts('a', arms.length)} AS runs, ${bitCounts('a', arms.length, 'converted')} AS conversions FROM per_run`;
  const row = (await db.query(sql, params)).rows[0];
  return { runs: row.runs, conversions: row.conversions };
}

/** Distinct customers among the window's runs. */
export async function customerCount(db: Queryable, journey: string, range: FactRange): Promise<number> {
  const res = await db.query<{ n: number }>(
    `SELECT count(DISTINCT customer_id)::int AS n FROM facts WHERE journey = $1 AND kind = 'entered' AND run IS NOT NULL AND at >= $2 AND at < $3`,
    [journey, ...bounds(range)],
  );
  return res.rows[0].n;
}

export interface MessageRow {
  kind: 'delivery' | 'provider';
  template: string | null;
  channel: string | null;
  status: string | null;
  reason: string | null;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  count: number;
}

/** Delivery decisions and provider statuses of the window's runs, counted per template, channel, status, reason
 *  and UTC day (the caller sums the days up for the totals). Grouped by the date itself, not a string of it: the
 *  planner then hashes the few groups instead of sorting every row. */
export async function messageAggregates(db: Queryable, journey: string, range: FactRange): Promise<MessageRow[]> {
  const res = await db.query(
    `WITH runs AS (SELECT DISTINCT run FROM facts WHERE journey = $1 AND kind = 'entered' AND run IS NOT NULL AND at >= $2 AND at < $3)
     SELECT f.kind, f.template, f.channel, f.status, f.reason, to_char((f.at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, count(*)::int AS count
     FROM facts f
     WHERE f.journey = $1 AND f.kind IN ('delivery', 'provider') AND f.at >= $2 AND f.run IN (SELECT run FROM runs)
     GROUP BY f.kind, f.template, f.channel, f.status, f.reason, (f.at AT TIME ZONE 'UTC')::date`,
    [journey, ...bounds(range)],
  );
  return res.rows as MessageRow[];
}

/** Not-entered facts by reason and rejected facts, by their own time in [since, until). */
export async function entryRefusals(
  db: Queryable,
  journey: string,
  range: FactRange,
): Promise<{ notEntered: Array<{ reason: string; count: number }>; rejected: number }> {
  const res = await db.query<{ kind: string; reason: string | null; count: number }>(
    `SELECT kind, reason, count(*)::int AS count FROM facts
     WHERE journey = $1 AND kind IN ('not-entered', 'rejected') AND at >= $2 AND at < $3 GROUP BY kind, reason`,
    [journey, ...bounds(range)],
  );
  const notEntered = res.rows.filter((r) => r.kind === 'not-entered').map((r) => ({ reason: r.reason ?? 'unknown', count: r.count }));
  const rejected = res.rows.filter((r) => r.kind === 'rejected').reduce((n, r) => n + r.count, 0);
  return { notEntered, rejected };
}

/** Every journey with at least one fact, by name: a skip over the (journey, kind, at) index, one probe per
 *  journey, instead of reading every fact. */
export async function journeysWithFacts(db: Queryable): Promise<string[]> {
  const res = await db.query<{ journey: string }>(
    `WITH RECURSIVE j AS (
       (SELECT journey FROM facts ORDER BY journey LIMIT 1)
       UNION ALL
       SELECT (SELECT f.journey FROM facts f WHERE f.journey > j.journey ORDER BY f.journey LIMIT 1) FROM j WHERE j.journey IS NOT NULL
     )
     SELECT journey FROM j WHERE journey IS NOT NULL`,
  );
  return res.rows.map((r) => r.journey);
}

/** The time of a journey's last fact in [since, until), or null: one index probe per kind. */
export async function lastFactAt(db: Queryable, journey: string, range: FactRange): Promise<string | null> {
  const res = await db.query<{ last: Date | null }>(
    `SELECT max(m.at) AS last FROM unnest($4::text[]) AS k(kind),
       LATERAL (SELECT max(at) AS at FROM facts WHERE journey = $1 AND kind = k.kind AND at >= $2 AND at < $3) m`,
    [journey, ...bounds(range), FACT_KINDS],
  );
  const last = res.rows[0]?.last;
  return last ? last.toISOString() : null;
}
