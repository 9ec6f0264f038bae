// Ships the spool (store/factSpool.ts) to PostgreSQL in batches: every interval it closes the open segment
// and inserts each closed one (ON CONFLICT DO NOTHING, so a segment shipped twice after a crash between the
// insert and the delete counts once), then deletes it. While the database is down it keeps the segments and
// retries with a growing pause, saying so once per outage.
import type { Pool } from 'pg';
import { insertFacts } from './facts';
import type { FactSpool } from './factSpool';

export interface ShipperStats {
  /** Facts inserted (new rows) since start. */
  written: number;
  /** Facts read from the spool and sent (new or already stored). */
  shipped: number;
  /** Closed segments not yet shipped. */
  waiting: number;
  /** Facts in the open segment. */
  open: number;
  unreadable: number;
  /** Since when the database has been failing, if it is. */
  failingSince?: string;
  lastError?: string;
}

export interface FactShipper {
  /** Ships everything spooled so far, now. Rejects if the database refuses. */
  flush(): Promise<void>;
  /** Stops the loop after a last flush (bounded by `timeoutMs`); what is left stays in the spool for the next start. */
  stop(timeoutMs?: number): Promise<void>;
  stats(): ShipperStats;
}

export interface ShipperOptions {
  intervalMs?: number;
  /** Facts per INSERT. */
  batch?: number;
  log?: (message: string) => void;
  /** Runs before the first shipment until it succeeds (the worker's migration, when the database was down at start). */
  prepare?: () => Promise<void>;
}

export function startFactShipper(spool: FactSpool, pool: Pool, options: ShipperOptions = {}): FactShipper {
  // One transaction a second: PostgreSQL's commit (an fsync) competes for the disk with Temporal's own.
  const intervalMs = options.intervalMs ?? 1000;
  const batch = options.batch ?? 2000;
  const log = options.log ?? ((m: string) => console.log(m));
  const stats: ShipperStats = { written: 0, shipped: 0, waiting: 0, open: 0, unreadable: 0 };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let pauseMs = intervalMs;

  let prepare = options.prepare;
  async function shipOnce(): Promise<void> {
    if (prepare) {
      await prepare();
      prepare = undefined;
    }
    const segments = spool.ready();
    stats.waiting = segments.length;
    for (const path of segments) {
      const { facts, unreadable } = spool.read(path);
      for (let i = 0; i < facts.length; i += batch) stats.written += await insertFacts(pool, facts.slice(i, i + batch));
      spool.done(path);
      stats.shipped += facts.length;
      stats.unreadable += unreadable;
      stats.waiting -= 1;
      if (unreadable) log(`facts: ${unreadable} unreadable line(s) in ${path} skipped`);
    }
    stats.open = spool.openFacts;
  }

  // One shipment at a time: the loop and flush() share it.
  function ship(): Promise<void> {
    running ??= shipOnce().finally(() => {
      running = undefined;
    });
    return running;
  }

  async function tick(): Promise<void> {
    try {
      await ship();
      if (stats.failingSince) log(`facts: database reachable again, spooled facts shipped (down since ${stats.failingSince})`);
      stats.failingSince = undefined;
      stats.lastError = undefined;
      pauseMs = intervalMs;
    } catch (err) {
      stats.lastError = (err as Error).message;
      if (!stats.failingSince) {
        stats.failingSince = new Date().toISOString();
        log(`facts: cannot write to the database (${stats.lastError}); facts stay in ${spool.dir} and are retried`);
      }
      pauseMs = Math.min(pauseMs * 2, 5000);
    }
    if (!stopped) timer = setTimeout(() => void tick(), pauseMs);
  }
  timer = setTimeout(() => void tick(), intervalMs);

  return {
    async flush() {
      // A shipment already under way may have closed its segments before the latest facts: ship again after it.
      if (running) await running.catch(() => {});
      await ship();
    },
    async stop(timeoutMs = 10_000) {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.race([ship().catch(() => {}), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    },
    stats: () => ({ ...stats, open: spool.openFacts }),
  };
}
