// Facts on the way out during the e2e workload: how many the engine worker wrote per second, and how long a
// fact took from the workflow task that recorded it (its engine time, `at`) to its row in PostgreSQL
// (`recorded_at`). "No growing lag" is the last fifth of the span against the first.
import type { Pool } from 'pg';
import { round } from './load';
import { progress, type FactsFlow } from './report';

export async function measureFactsFlow(db: Pool, from: Date, to: Date): Promise<FactsFlow> {
  const span = to.getTime() - from.getTime();
  const fifth = new Date(from.getTime() + span / 5);
  const lastFifth = new Date(to.getTime() - span / 5);
  const { rows } = await db.query<Record<string, string | null>>(
    `WITH f AS (SELECT at, extract(epoch FROM (recorded_at - at)) * 1000 AS lag FROM facts WHERE at >= $1 AND at < $2)
     SELECT count(*) AS n,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) AS p99,
            max(lag) AS max,
            (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) FROM f WHERE at < $3) AS first_p99,
            (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) FROM f WHERE at >= $4) AS last_p99
       FROM f`,
    [from, to, fifth, lastFifth],
  );
  const r = rows[0];
  const n = (k: string) => round(Number(r[k] ?? 0), 0);
  const result: FactsFlow = {
    facts: Number(r.n),
    seconds: round(span / 1000),
    perSecond: round(Number(r.n) / (span / 1000), 1),
    lagMs: { p50: n('p50'), p99: n('p99'), max: n('max') },
    firstFifthP99Ms: n('first_p99'),
    lastFifthP99Ms: n('last_p99'),
  };
  progress(
    `facts during e2e: ${result.facts} written, ${result.perSecond}/s; from workflow task to PostgreSQL p50 ${result.lagMs.p50} ms, p99 ${result.lagMs.p99} ms (first fifth ${result.firstFifthP99Ms} ms, last fifth ${result.lastFifthP99Ms} ms)`,
  );
  return result;
}
