// Facts in PostgreSQL: written idempotently (a fact id is written once however often it arrives), read for
// export, deleted for erase.
import type { Pool, PoolClient } from 'pg';
import type { Fact } from '../domain/facts';

type Queryable = Pick<Pool | PoolClient, 'query'>;

const COLUMNS: Array<[keyof Fact, string]> = [
  ['id', 'id'],
  ['kind', 'kind'],
  ['at', 'at'],
  ['journey', 'journey'],
  ['version', 'version'],
  ['customerId', 'customer_id'],
  ['key', 'key'],
  ['run', 'run'],
  ['workflowId', 'workflow_id'],
  ['runId', 'run_id'],
  ['step', 'step'],
  ['split', 'split'],
  ['arm', 'arm'],
  ['channel', 'channel'],
  ['template', 'template'],
  ['topic', 'topic'],
  ['status', 'status'],
  ['reason', 'reason'],
  ['detail', 'detail'],
  ['messageId', 'message_id'],
];
const COLUMN_LIST = COLUMNS.map(([, c]) => c).join(', ');

/** Inserts facts, one statement per call (the rows travel as one JSON parameter); facts already stored are
 *  skipped. Resolves with how many were new. */
export async function insertFacts(db: Queryable, facts: readonly Fact[]): Promise<number> {
  if (facts.length === 0) return 0;
  const rows = facts.map((f) => Object.fromEntries(COLUMNS.map(([k, c]) => [c, f[k] ?? null])));
  const res = await db.query(
    `INSERT INTO facts (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM json_populate_recordset(NULL::facts, $1::json) ON CONFLICT (id) DO NOTHING`,
    [JSON.stringify(rows)],
  );
  return res.rowCount ?? 0;
}

/** A customer's facts, oldest first, in the shape the workflows recorded them (for `omnijourney export`). */
export async function customerFacts(db: Queryable, customerId: string): Promise<Fact[]> {
  const res = await db.query(`SELECT ${COLUMN_LIST} FROM facts WHERE customer_id = $1 ORDER BY at, id`, [customerId]);
  return res.rows.map(
    (r) =>
      Object.fromEntries(COLUMNS.filter(([, c]) => r[c] !== null).map(([k, c]) => [k, c === 'at' ? (r[c] as Date).toISOString() : r[c]])) as unknown as Fact,
  );
}

/** Deletes a customer's facts (for `omnijourney erase`); resolves with how many there were. */
export async function eraseCustomerFacts(db: Queryable, customerId: string): Promise<number> {
  const res = await db.query('DELETE FROM facts WHERE customer_id = $1', [customerId]);
  return res.rowCount ?? 0;
}
