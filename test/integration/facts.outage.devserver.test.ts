// Facts with PostgreSQL down (test/helpers/factsSuite.ts): a worker that starts while it is down and
// customers who sign up meanwhile; every fact arrives once it is back, exactly what the workflows did.
import { readdirSync } from 'node:fs';
import { engine, factsSuite, s, spooled, spoolDir, untilFactsMatch, worker } from '../helpers/factsSuite';
import { reliabilityLine, signUpForWelcome, until, untilRecordedAsSent } from '../helpers/faults';

factsSuite();

test('PostgreSQL down when a worker starts and while customers sign up: the journeys go on, facts wait in the spool and all arrive once it is back', async () => {
  const ids = Array.from({ length: 20 }, (_, i) => `facts-dbdown-${i}`);
  await s.postgres.stop();
  const w = await worker('facts-dbdown');
  expect(w.output()).toContain('facts: cannot migrate the database now');
  await signUpForWelcome(s.client, ids, { taskQueue: 'facts-dbdown', engine, domain: 'example.com', concurrency: 10 });
  await untilRecordedAsSent(s.client, ids, 'welcome/hello', 120_000);
  // The facts are on disk, not lost, while the database is away.
  await until(
    'facts waiting in the spool',
    () => spooled().length > 0,
    30_000,
    () => JSON.stringify(readdirSync(spoolDir)),
  );
  const downFor = Date.now();
  // A minute down, as the issue asks: nothing in the design depends on how long (the spool is on disk).
  await new Promise((r) => setTimeout(r, 60_000));
  await s.postgres.start();
  await untilFactsMatch(ids, 120_000);
  reliabilityLine(`facts with PostgreSQL down ${Math.round((Date.now() - downFor) / 1000)} s: all ${ids.length} customers' facts arrived after it came back`);
}, 300_000);
