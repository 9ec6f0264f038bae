// The store's part of `omnijourney export|erase`: a customer's facts in PostgreSQL (store/facts.ts), handed to
// client/customerData.ts as a CustomerFactStore (client/ does not import store/). The database is DATABASE_URL,
// or, outside production, the PostgreSQL that `npm start` runs with its data in <data folder>/postgres.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CustomerFactStore } from '../client/customerData';
import type { Config } from '../config/config';
import { customerFacts, eraseCustomerFacts } from '../store/facts';
import { redact } from '../store/migrate';
import { openPool } from '../store/pool';

export interface OpenFactStore extends CustomerFactStore {
  close(): Promise<void>;
}

/** Where the facts are: DATABASE_URL; else `npm start`'s own server when its cluster is in the data folder
 *  (the user and database harness/postgresProcess.ts creates, its password file, POSTGRES_PORT); else none. */
export function factStoreUrl(config: Config): { url: string; from: string } | undefined {
  if (config.store.databaseUrl) return { url: config.store.databaseUrl, from: 'DATABASE_URL' };
  // Relative to the repository, as npm start and the payload key file (config/payloadKeys.ts) take it.
  const passwordFile = resolve(__dirname, '..', config.dataDir, 'postgres', 'password');
  if (config.production || !existsSync(passwordFile)) return undefined;
  let password: string;
  try {
    password = readFileSync(passwordFile, 'utf8').trim();
  } catch (err) {
    throw new Error(`cannot read ${passwordFile} (${(err as Error).message}): run as the user who ran npm start, or set DATABASE_URL`);
  }
  return {
    url: `postgres://omnijourney:${encodeURIComponent(password)}@127.0.0.1:${config.store.postgresPort}/omnijourney`,
    from: `npm start's PostgreSQL in ${join(config.dataDir, 'postgres')}`,
  };
}

const noTable = (err: unknown): boolean => (err as { code?: string }).code === '42P01'; // undefined_table: no worker has migrated yet

/** Connects to the store, or resolves to undefined when there is none. Fails before anything is read or
 *  erased when the database cannot be reached, naming it and what to do. */
export async function openFactStore(config: Config): Promise<OpenFactStore | undefined> {
  const found = factStoreUrl(config);
  if (!found) return undefined;
  const where = `${redact(found.url)} (${found.from})`;
  const pool = openPool(found.url, 2);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    const hint = found.from === 'DATABASE_URL' ? 'check DATABASE_URL' : 'start it with npm start, or set DATABASE_URL';
    throw new Error(`cannot reach the store of facts at ${where}: ${(err as Error).message}; ${hint}`);
  }
  return {
    where,
    facts: (customerId) => customerFacts(pool, customerId).catch((err) => (noTable(err) ? [] : Promise.reject(err))),
    erase: (customerId) => eraseCustomerFacts(pool, customerId).catch((err) => (noTable(err) ? 0 : Promise.reject(err))),
    close: () => pool.end(),
  };
}
