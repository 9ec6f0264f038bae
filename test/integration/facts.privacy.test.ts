// Facts and privacy on a real PostgreSQL (harness/postgresProcess.ts) and a real Temporal dev server: a worker
// records facts the way worker/facts.ts wires them (a FactSpool on disk, shipped by startFactShipper), while
// journeys mail a real SMTP server and text Prism (the Twilio mock) through the real twilio client, one SMS
// failing with an error that names the number. Then: no e-mail address or phone number is anywhere in the
// database (every row of every table, searched as text, with controls that prove the search finds what is
// stored in clear); `omnijourney export` includes the customer's facts; `omnijourney erase` deletes them and
// leaves another customer's.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pool } from 'pg';
import { openFactStore } from '../../cli/factStore';
import { exportCustomer } from '../../client/customerData';
import { loadConfig } from '../../config/config';
import type { LedgerEntry } from '../../domain/customerState';
import type { Fact } from '../../domain/facts';
import { customerWorkflowId, ledgerQuery, updateConsentSignal } from '../../domain/messages';
import { startPostgresProcess, type PostgresProcess } from '../../harness/postgresProcess';
import { recipient } from '../../harness/smtpSink';
import { devServerEraseArgs } from '../../privacy/devServer';
import { startFactShipper, type FactShipper } from '../../store/factShipper';
import { FactSpool } from '../../store/factSpool';
import { customerFacts, eraseCustomerFacts, insertFacts } from '../../store/facts';
import { migrate } from '../../store/migrate';
import { openPool } from '../../store/pool';
import { createWorkerActivities } from '../../worker/activities';
import { startDevServerHarness, type DevServerHarness, type WithPrism } from '../helpers/devServerHarness';
import { eventually } from '../helpers/eventually';
import { bundleWithFaultJourneys } from '../helpers/faults';
import { injectors, twilioError } from '../helpers/prism';
import { TEST_PAYLOAD_KEYS } from '../helpers/privacy';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

// Texted and mailed; the second customer's number is refused by "Twilio" with a message that repeats it.
const alice = { id: `zq-facts-alice-${process.pid}`, email: 'zq.facts.alice.mailbox.4821@example.org', phone: '+14155554821' };
const bob = { id: `zq-facts-bob-${process.pid}`, email: 'zq.facts.bob.mailbox.4822@example.org', phone: '+14155554822' };

let tmp: string;
let postgres: PostgresProcess;
let db: Pool;
let spool: FactSpool;
let shipper: FactShipper;
let h: WithPrism<DevServerHarness>;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'omnijourney-facts-privacy-'));
  chmodSync(tmp, 0o755); // as root, PostgreSQL runs as the postgres user, which must enter this folder
  // The cluster where `npm start` keeps it (<data folder>/postgres), so the CLI finds it without DATABASE_URL.
  postgres = await startPostgresProcess(join(tmp, 'postgres'), { fast: true });
  await migrate(postgres.url);
  db = openPool(postgres.url, 2);
  spool = new FactSpool(join(tmp, 'facts-spool'));
  shipper = startFactShipper(spool, db, { intervalMs: 100, log: () => {} });
  h = await startDevServerHarness({
    name: 'facts-privacy',
    prism: true,
    devServerArgs: devServerEraseArgs(),
    config: { TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef', TWILIO_AUTH_TOKEN: 'facts-privacy-auth-token', TWILIO_FROM: '+15005550006' },
    activities: (config) => createWorkerActivities(config),
    bundle: bundleWithFaultJourneys(),
    recordFact: (fact) => spool.append(fact),
  });
}, 180_000);

afterAll(async () => {
  await h?.stop();
  await shipper?.stop();
  await db?.end();
  await postgres?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The CLI as a user runs it, against this test's servers; without DATABASE_URL it finds the cluster in the data folder. */
function cli(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [join(root, 'bin', 'omnijourney.mjs'), ...args], {
    cwd: root,
    timeout: 90_000,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: h.server.address,
      PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
      OMNIJOURNEY_DATA_DIR: tmp,
      POSTGRES_PORT: String(postgres.port),
      ...env,
    },
  });
}

/** Every row of every table in the public schema as text: what a dump of the database would hold. */
async function everyRowAsText(): Promise<string> {
  const tables = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const out: string[] = [];
  for (const { name } of tables.rows) {
    const rows = await db.query<{ row: string }>(`SELECT t::text AS row FROM public."${name.replace(/"/g, '""')}" t`);
    out.push(`-- ${name}`, ...rows.rows.map((r) => r.row));
  }
  return out.join('\n');
}

const factsOf = (id: string) => customerFacts(db, id);

/** Identify with an address and a number, consent to SMS, abandon a cart: reminder-1 by email at once, then
 *  reminder-2 by SMS (by email when the SMS fails for good). */
async function abandonCart(c: typeof alice): Promise<void> {
  await h.engine.send({ customerId: c.id, type: 'identify', name: 'identify', traits: { email: c.email, phone: c.phone, firstName: 'Zq' } });
  await h.client.workflow.getHandle(customerWorkflowId(c.id)).signal(updateConsentSignal, { channel: 'sms', granted: true, source: 'test-signup' });
  const items = [{ sku: 'sku-1', name: 'Trail shoes', price: 90, quantity: 1 }];
  await h.engine.send({ customerId: c.id, name: 'fastcart.started', properties: { cartId: `cart-${c.id}`, items, value: 90, firstMs: 0, secondMs: 0 } });
}

/** Once reminder-2 is sent (by SMS, or by email after a failed SMS), and the facts of it are in the database. */
async function settled(c: typeof alice): Promise<LedgerEntry[]> {
  const handle = h.client.workflow.getHandle(customerWorkflowId(c.id));
  let ledger: LedgerEntry[] = [];
  await eventually(
    `reminder-2 sent to ${c.id}`,
    async () => {
      ledger = await handle.query(ledgerQuery);
      return ledger.some((e) => e.template === 'abandoned-cart/reminder-2' && e.status === 'sent');
    },
    { timeoutMs: 60_000, intervalMs: 200, retryErrors: true, detail: () => JSON.stringify(ledger) },
  );
  const settledLedger = ledger.filter((e) => e.status !== 'sending').length;
  await eventually(
    `the delivery facts of ${c.id} in PostgreSQL`,
    async () => (await factsOf(c.id)).filter((f) => f.kind === 'delivery').length >= settledLedger,
    { timeoutMs: 30_000, intervalMs: 200, detail: () => JSON.stringify(shipper.stats()) },
  );
  return ledger;
}

const delivery = (facts: Fact[]) => facts.filter((f) => f.kind === 'delivery').map((f) => `${f.status}:${f.channel}:${f.template}`);

test('a journey that mails and texts leaves facts, and no e-mail address or phone number is anywhere in PostgreSQL', async () => {
  h.prism.inject(
    injectors((_r, form) => (form.get('To') === bob.phone ? twilioError(400, 21211, `The 'To' number ${bob.phone} is not a valid phone number.`) : undefined)),
  );
  await abandonCart(alice);
  await abandonCart(bob);
  await settled(alice);
  await settled(bob);

  // The real flow happened: mails to the real addresses, the SMS to Prism with the real number.
  expect(h.smtp.mails.filter((m) => recipient(m) === alice.email).map((m) => m.subject)).toEqual(['You left 1 item in your cart']);
  expect(h.smtp.mails.filter((m) => recipient(m) === bob.email)).toHaveLength(2); // reminder-1, and reminder-2 instead of the SMS
  expect(h.prism.recorded.filter((r) => r.path.endsWith('/Messages.json')).map((r) => [new URLSearchParams(r.rawBody).get('To'), r.status])).toEqual(
    expect.arrayContaining([
      [alice.phone, 201],
      [bob.phone, 400],
    ]),
  );
  // …and the facts say so.
  expect(delivery(await factsOf(alice.id))).toEqual(['sent:email:abandoned-cart/reminder-1', 'sent:sms:abandoned-cart/reminder-2']);
  expect(delivery(await factsOf(bob.id))).toEqual([
    'sent:email:abandoned-cart/reminder-1',
    'failed:sms:abandoned-cart/reminder-2',
    'sent:email:abandoned-cart/reminder-2',
  ]);

  // A control: a fact carrying an address in clear is found by the same search, so the search can fail.
  const canary = 'zq.canary.mailbox.4823@example.org';
  const planted = { id: `canary/${process.pid}/1`, kind: 'entered', at: new Date().toISOString(), journey: 'canary', customerId: `zq-canary-${process.pid}` };
  await insertFacts(db, [{ ...planted, workflowId: 'canary', runId: 'canary', detail: canary } as Fact]);
  expect((await everyRowAsText()).includes(canary)).toBe(true);
  expect(await eraseCustomerFacts(db, planted.customerId)).toBe(1);

  const dump = await everyRowAsText();
  expect(dump.length).toBeGreaterThan(2000);
  // Controls: what facts do hold is found (customer ids, templates, the entry event, the channel).
  for (const control of [alice.id, bob.id, 'abandoned-cart/reminder-2', 'fastcart.started', 'sms', '-- facts', '-- omnijourney_migrations']) {
    expect({ control, found: dump.includes(control) }).toEqual({ control, found: true });
  }
  // No address or number, whole or in part (the failed SMS's provider error repeated the number).
  for (const c of [alice, bob]) {
    for (const needle of [c.email, c.email.split('@')[0], c.phone, c.phone.slice(1), c.phone.slice(2)]) {
      expect({ needle, found: dump.includes(needle) }).toEqual({ needle, found: false });
    }
  }
}, 150_000);

test('export includes the customer’s facts (through the client, and `omnijourney export` finding npm start’s database)', async () => {
  const stored = await factsOf(alice.id);
  expect(stored.length).toBeGreaterThanOrEqual(6); // entered, steps, two deliveries

  const store = await openFactStore(loadConfig({ DATABASE_URL: postgres.url }));
  try {
    const data = await exportCustomer(h.client, alice.id, { facts: store });
    expect(data.facts).toEqual(stored);
    expect(data.facts?.every((f) => f.customerId === alice.id)).toBe(true);
  } finally {
    await store?.close();
  }

  // No DATABASE_URL: the CLI reads the password npm start's cluster keeps in <data folder>/postgres.
  const { stdout } = await cli(['export', alice.id]);
  const exported = JSON.parse(stdout) as { profile: { identities: { email?: string } }; facts: Fact[] };
  expect(exported.profile.identities.email).toBe(alice.email);
  expect(exported.facts).toEqual(stored);
  expect(delivery(exported.facts)).toEqual(['sent:email:abandoned-cart/reminder-1', 'sent:sms:abandoned-cart/reminder-2']);
  expect(exported.facts.map((f) => f.kind)).toEqual(expect.arrayContaining(['entered', 'step', 'delivery']));
}, 120_000);

test('`omnijourney erase` deletes the customer’s facts and says how many; another customer’s stay', async () => {
  const before = { alice: (await factsOf(alice.id)).length, bob: await factsOf(bob.id) };
  expect(before.alice).toBeGreaterThan(0);

  const { stdout } = await cli(['erase', alice.id, '--yes'], { DATABASE_URL: postgres.url });
  // Her cart journey has completed; the customer workflow runs.
  expect(stdout).toContain(`erased customer "${alice.id}": terminated 1 running workflow(s), deleted 2 execution(s)`);
  expect(stdout).toContain(`deleted ${before.alice} fact(s) from the store, postgres://omnijourney:***@127.0.0.1:${postgres.port}/omnijourney (DATABASE_URL).`);
  expect(stdout).not.toContain(postgres.url); // the password is not printed

  await shipper.flush(); // nothing of hers still on its way
  expect(await factsOf(alice.id)).toEqual([]);
  expect(await factsOf(bob.id)).toEqual(before.bob);

  // Erasing again: nothing left, said so.
  const again = await cli(['erase', alice.id, '--yes'], { DATABASE_URL: postgres.url });
  expect(again.stdout).toContain('deleted 0 fact(s) from the store');
}, 150_000);
