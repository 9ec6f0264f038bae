// The worker's end of the facts pipeline: migrate the store, spool every fact the workflows record, ship the
// spool to PostgreSQL (store/). Off when DATABASE_URL is unset (said once at start).
import type { Config } from '../config/config';
import type { Fact } from '../domain/facts';
import { startFactShipper, type FactShipper } from '../store/factShipper';
import { FactSpool } from '../store/factSpool';
import { migrate, redact } from '../store/migrate';
import { openPool } from '../store/pool';

export interface WorkerFacts {
  record?: (fact: Fact) => Promise<void>;
  shipper?: FactShipper;
  close(): Promise<void>;
}

export async function startWorkerFacts(config: Config, log: (m: string) => void = console.log): Promise<WorkerFacts> {
  const url = config.store.databaseUrl;
  if (!url) {
    log('facts: off (set DATABASE_URL to record what journeys do and achieve: README "Outcomes")');
    return { close: async () => {} };
  }
  // A database that is down must not stop the journeys: facts wait in the spool, and the migration runs
  // before the first shipment once the database answers.
  let pending: (() => Promise<void>) | undefined;
  await migrate(url, 30_000).catch((err: Error) => {
    log(`facts: cannot migrate the database now (${err.message.split('\n')[0]}); facts wait in ${config.store.spoolDir} until it answers`);
    pending = () => migrate(url);
  });
  const pool = openPool(url);
  const spool = new FactSpool(config.store.spoolDir);
  const shipper = startFactShipper(spool, pool, { log, prepare: pending });
  log(`facts: recorded to ${redact(url)} through the spool in ${config.store.spoolDir}`);
  return {
    record: (fact) => spool.append(fact),
    shipper,
    async close() {
      await shipper.stop();
      await pool.end();
    },
  };
}
