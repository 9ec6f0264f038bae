// The connection pool every process of the engine uses for the store.
import { Pool } from 'pg';

export function openPool(databaseUrl: string, max = 4): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 5000, idleTimeoutMillis: 10_000 });
  // An idle client losing its connection (the server restarted) must not crash the process: the next query
  // gets a new one.
  pool.on('error', () => {});
  return pool;
}
