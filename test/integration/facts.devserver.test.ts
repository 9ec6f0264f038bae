// Facts with real processes (test/helpers/factsSuite.ts): a worker SIGKILLed in the middle of a batch, and
// `facts reconcile` after a worker that recorded none. The facts table must hold exactly what the workflows
// say happened: no fact lost, none counted twice. Bounded: every wait has a deadline.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sendEvent } from '../../client/events';
import { dir, engine, factsOf, factsSuite, s, untilFactsMatch, worker } from '../helpers/factsSuite';
import { perRecipient, reliabilityLine, signUpForWelcome, until, untilRecordedAsSent } from '../helpers/faults';

factsSuite();

test('a worker SIGKILLed in the middle of 40 sign-ups: the next worker ships what the first spooled, and the facts are exactly what the workflows did', async () => {
  const ids = Array.from({ length: 40 }, (_, i) => `facts-kill-${i}`);
  const first = await worker('facts-kill');
  await signUpForWelcome(s.client, ids, { taskQueue: 'facts-kill', engine, domain: 'example.com', concurrency: 12 });
  await until('the first 15 mails', () => s.smtp.mails.length >= 15, 120_000);
  await first.kill('SIGKILL');
  const atKill = s.smtp.mails.length;

  await worker('facts-kill');
  await until('a mail for every customer', () => ids.every((id) => perRecipient(s.smtp.mails).has(`${id}@example.com`)), 180_000);
  await untilRecordedAsSent(s.client, ids, 'welcome/hello', 120_000);
  // A conversion for a third of them, and a second sign-up (welcome never re-enters) for another third.
  const options = { taskQueue: 'facts-kill', engine };
  for (const [i, id] of ids.entries()) {
    const base = { customerId: id, properties: {}, traits: {}, context: {}, type: 'track' as const };
    if (i % 3 === 0) await sendEvent(s.client, { ...base, messageId: `${id}-sub`, name: 'subscription.started' }, options);
    if (i % 3 === 1) await sendEvent(s.client, { ...base, messageId: `${id}-again`, name: 'user.signed_up' }, options);
  }
  await untilFactsMatch(ids, 120_000);

  const counts = await s.db.query<{ kind: string; n: string }>(
    "SELECT kind || coalesce('/' || reason, '') AS kind, count(*) AS n FROM facts WHERE customer_id LIKE 'facts-kill-%' GROUP BY 1 ORDER BY 1",
  );
  const byKind = Object.fromEntries(counts.rows.map((r) => [r.kind, Number(r.n)]));
  expect(byKind.entered).toBe(40);
  expect(byKind.converted).toBe(14); // i % 3 === 0 for i < 40
  expect(byKind['not-entered/never']).toBe(13);
  reliabilityLine(`facts with a worker SIGKILLed at ${atKill}/40 mails: ${JSON.stringify(byKind)}; equal to the workflows' own records`);
}, 420_000);

test('facts reconcile: a worker that recorded no facts (as if its spool were lost with its disk); replaying the histories writes exactly the missing facts, and a second run writes none', async () => {
  const ids = Array.from({ length: 10 }, (_, i) => `facts-rec-${i}`);
  const w = await worker('facts-rec', { withFacts: false });
  expect(w.output()).toContain('facts: off');
  await signUpForWelcome(s.client, ids, { taskQueue: 'facts-rec', engine, domain: 'example.com', concurrency: 10 });
  await untilRecordedAsSent(s.client, ids, 'welcome/hello', 120_000);
  expect((await factsOf(ids)).get(ids[0])).toEqual([]);

  // This test's customers, and the first test's (whose facts are all stored: reconcile must write none of theirs).
  const query = 'WorkflowType IN ("customerWorkflow", "journeyWorkflow") AND (CustomerId STARTS_WITH "facts-rec-" OR CustomerId STARTS_WITH "facts-kill-1")';
  const reconcile = () =>
    promisify(execFile)(process.execPath, [join(__dirname, '..', '..', 'bin', 'omnijourney.mjs'), 'facts', 'reconcile', '--query', query], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: s.temporal.address,
        DATABASE_URL: s.postgres.url,
        PAYLOAD_ENCRYPTION: 'off',
        OMNIJOURNEY_DATA_DIR: join(dir, 'data'),
      },
      timeout: 240_000,
    });
  const first = await reconcile();
  const written = Number(/(\d+) of them missing from the store and written now/.exec(first.stdout)?.[1]);
  await untilFactsMatch(ids, 10_000);
  // entered, 2 steps and a sent mail per customer were missing; the other customers' facts were already there.
  expect(written).toBe(ids.length * 4);
  const again = await reconcile();
  expect(again.stdout).toMatch(/ 0 of them missing from the store and written now/);
  reliabilityLine(`facts reconcile: ${first.stdout.trim().split('\n').at(-1)} Run again: ${again.stdout.trim().split('\n').at(-1)}`);
}, 360_000);
