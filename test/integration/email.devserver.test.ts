// End to end on a real Temporal dev server (the one `npm start` runs): an event in, a real mail out
// through a real SMTP server, and both workflows findable the way an operator would look for them.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createDeliveryActivities } from '../../activities/delivery';
import { DEFAULT_ENGINE_CONFIG } from '../../domain/engineConfig';
import { phoneLookupKey } from '../../domain/lookup';
import { forgetLinksSignal, journeyStatusQuery, profileQuery, stateQuery } from '../../domain/messages';
import { sharedBundle, startDevServer, startEngine, type RunningEngine } from '../helpers/engine';
import { eventually } from '../helpers/eventually';
import { testCodec } from '../helpers/privacy';
import { emailActivitiesFor, recipient, startSmtpSink, type SmtpSink } from '../../harness/smtpSink';

let env: TestWorkflowEnvironment;
let smtp: SmtpSink;
let engine: RunningEngine;

beforeAll(async () => {
  [env, smtp] = await Promise.all([startDevServer(), startSmtpSink()]);
  engine = await startEngine(env, emailActivitiesFor(smtp), { policy: { caps: { perDay: 2, perWeek: 5 }, quietHours: null } });
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  await env?.teardown();
  await smtp?.close();
});

test('a sign-up event puts a personalised welcome mail in a real SMTP inbox', async () => {
  await engine.send({ customerId: 'c-42', type: 'identify', name: 'identify', traits: { email: 'grace@example.com', firstName: 'Grace' } });
  await engine.send({ customerId: 'c-42', name: 'user.signed_up', properties: { plan: 'team' } });

  const mail = await smtp.waitFor((m) => m.subject === 'Welcome to Acme, Grace!');
  expect(recipient(mail)).toBe('grace@example.com');
  expect(mail.from?.value[0]).toMatchObject({ name: 'Acme', address: 'hello@acme.test' });
  expect(mail.html).toContain('<strong>team</strong>');
  expect(mail.text).toContain('Your team plan is ready');
  expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@omnijourney\.local>$/);
  expect(mail.headers.get('x-omnijourney-template')).toBe('welcome/hello');
});

test('operators find the customer and the journey by search attributes, and see what it waits for', async () => {
  const journey = await engine.started('journey:welcome:c-42');
  // The journey is now waiting for the first project (3 days). (optional: the assertions after a wait decide.)
  await eventually(
    'the journey to wait for the first project',
    async () => {
      const s = await journey.query(journeyStatusQuery);
      return s.step === 'wait-for-first-project' && Boolean(s.wakeAt);
    },
    { timeoutMs: 5_000, intervalMs: 100, optional: true },
  );
  const status = await journey.query(journeyStatusQuery);
  expect(status.step).toBe('wait-for-first-project');
  expect(status.waitingFor).toMatch(/^waiting for `project.created` until \d{4}-/);

  const found: string[] = [];
  await eventually(
    'the customer and the journey found by CustomerId',
    async () => {
      found.length = 0;
      for await (const w of engine.client.workflow.list({ query: `CustomerId = "c-42"` })) found.push(w.workflowId);
      return found.length >= 2;
    },
    { timeoutMs: 10_000, intervalMs: 200, optional: true },
  );
  expect(found.sort()).toEqual(['customer:c-42', 'journey:welcome:c-42']);

  const byStep: string[] = [];
  for await (const w of engine.client.workflow.list({ query: `JourneyName = "welcome" AND JourneyStep = "wait-for-first-project"` })) byStep.push(w.workflowId);
  expect(byStep).toContain('journey:welcome:c-42');

  const profile = await engine.client.workflow.getHandle('customer:c-42').query(profileQuery);
  expect(profile.identities.email).toBe('grace@example.com');
  expect(profile.traits.firstName).toBe('Grace');
});

test('a repeated messageId (a client retry) is counted once and sends nothing twice', async () => {
  const event = { customerId: 'c-43', name: 'user.signed_up', messageId: 'retry-1', properties: { plan: 'free' } };
  await engine.send({ customerId: 'c-43', type: 'identify', name: 'identify', traits: { email: 'retry@example.com' } });
  await engine.send(event);
  await engine.send(event);
  await smtp.waitFor((m) => recipient(m) === 'retry@example.com');
  await new Promise((r) => setTimeout(r, 1500));
  expect(smtp.mailsTo('retry@example.com')).toHaveLength(1);
  const profile = await engine.client.workflow.getHandle('customer:c-43').query(profileQuery);
  expect(profile.recentEvents.filter((e) => e.messageId === 'retry-1')).toHaveLength(1);
});

// On the real server: the Java time-skipping server leaks a time lock when a workflow continues-as-new,
// so its clock then only moves in real time (see docs/architecture.md).
test('the customer workflow continues-as-new before its history grows large, with its state intact', async () => {
  const small = await startEngine(env, createDeliveryActivities({}), { policy: { caps: { perDay: 2, perWeek: 5 }, quietHours: null }, continueAsNewAfter: 40 });
  try {
    const handle = small.client.workflow.getHandle('customer:quinn');
    await small.send({ customerId: 'quinn', type: 'identify', name: 'identify', traits: { email: 'quinn@example.com', tier: 'gold' } });
    const first = (await handle.describe()).runId;
    // "Forget my links" once: the link generation is state that must cross over too.
    await handle.signal(forgetLinksSignal, {});
    await small.send({
      customerId: 'quinn',
      name: 'checkout.started',
      messageId: 'quinn-checkout',
      properties: { cartId: 'F', items: [{ sku: 's', name: 'Shoe', price: 1 }], value: 1 },
    });
    for (let i = 0; i < 30; i++) await small.send({ customerId: 'quinn', name: 'page.viewed', properties: { i } });
    // Routing all 32 events takes well over 40 history events; once its inbox is empty it continues-as-new.
    let runId = first;
    await eventually('the customer workflow to continue as new', async () => (runId = (await handle.describe()).runId) !== first, {
      timeoutMs: 15_000,
      intervalMs: 100,
      optional: true,
    });
    expect(runId).not.toBe(first);
    let s = await handle.query(stateQuery);
    const received = (n: number) =>
      eventually(`${n} events on the customer`, async () => (s = await handle.query(stateQuery)).eventsReceived >= n, {
        timeoutMs: 10_000,
        intervalMs: 100,
        optional: true,
      });
    await received(32);
    expect(s.eventsReceived).toBe(32);
    expect(s.traits.tier).toBe('gold');
    expect(s.identities.email).toBe('quinn@example.com');
    expect(s.journeys['journey:abandoned-cart:quinn:F'].status).toBe('running');
    // The links the mails carry keep working: the same generation, and the incarnation is the chain's first run.
    expect((await handle.query(profileQuery)).links).toEqual({ generation: 1, incarnation: first });
    // The dedupe memory crossed over too: a retry of an old event is still ignored.
    await small.send({
      customerId: 'quinn',
      name: 'checkout.started',
      messageId: 'quinn-checkout',
      properties: { cartId: 'F', items: [{ sku: 's', name: 'Shoe', price: 1 }], value: 1 },
    });
    await small.send({ customerId: 'quinn', name: 'page.viewed', properties: { last: true } });
    await received(33);
    expect(s.eventsReceived).toBe(33);
    // The cart run was started by the first run, which saw child completions; the next one does not, so the first
    // handed the run over before it continued, and the run signals its end. The order ends it: the new run knows.
    const cart = small.client.workflow.getHandle('journey:abandoned-cart:quinn:F');
    await small.send({ customerId: 'quinn', name: 'order.completed', properties: { orderId: 'o-q', cartId: 'F' } });
    const ended = await eventually(
      'the new run to record the cart run exited',
      async () => {
        const now = await handle.query(stateQuery);
        return now.journeys['journey:abandoned-cart:quinn:F'].status === 'exited' && now;
      },
      { timeoutMs: 20_000 },
    );
    expect(ended.journeys['journey:abandoned-cart:quinn:F'].status).toBe('exited');
    const cartEvents = (await cart.fetchHistory()).events ?? [];
    expect(cartEvents.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? [])).toContain('journeyHandOver');
    expect(cartEvents.flatMap((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ?? [])).toContain('journeyEnded');
    // The first run's history, hand-over and continue-as-new included, replays with this code.
    const firstRun = await small.client.workflow.getHandle('customer:quinn', first).fetchHistory();
    const sent = (firstRun.events ?? []).flatMap((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ?? []);
    expect(sent).toContain('journeyHandOver');
    await Worker.runReplayHistory({ workflowBundle: await sharedBundle(), dataConverter: { payloadCodecs: [testCodec()] } }, firstRun, 'customer:quinn');
  } finally {
    await small.stop();
  }
});

// On the dev server: the time-skipping server does not tell a parent that its child was terminated.
test('a run an operator terminates or cancels in the Temporal UI counts as exited, and the customer can enter the journey again', async () => {
  const cart = 'journey:abandoned-cart:gale:G';
  const checkout = { cartId: 'G', items: [{ sku: 'sku-G', name: 'Gale kite', price: 30 }], value: 30 };
  await engine.send({ customerId: 'gale', type: 'identify', name: 'identify', traits: { email: 'gale@example.com' } });
  await engine.send({ customerId: 'gale', name: 'checkout.started', properties: checkout });
  const { runId: first } = await (await engine.started(cart)).describe();
  await engine.client.workflow.getHandle(cart, first).terminate('operator: wrong cart');
  const customer = engine.client.workflow.getHandle('customer:gale');
  const runOf = async () => (await customer.query(stateQuery)).journeys[cart];
  await eventually('the customer to record the terminated run', async () => (await runOf())?.status === 'exited', { timeoutMs: 20_000 });

  // one-at-a-time: a run still recorded as running would refuse this checkout; the ended one lets it in.
  await engine.send({ customerId: 'gale', name: 'checkout.started', properties: checkout });
  const second = await eventually(
    'a second run of the cart journey',
    async () => {
      const run = await runOf();
      return run?.entries === 2 && run;
    },
    { timeoutMs: 20_000 },
  );
  expect(second.status).toBe('running');
  expect((await engine.client.workflow.getHandle(cart).describe()).runId).not.toBe(first);
  // Cancelled in the UI: exited as well.
  await engine.client.workflow.getHandle(cart).cancel();
  await eventually('the customer to record the cancelled run', async () => (await runOf())?.status === 'exited', { timeoutMs: 20_000 });
});

test('a customer is findable by an HMAC of their phone number (for inbound SMS), never by the number itself', async () => {
  await engine.send({ customerId: 'c-phone', type: 'identify', name: 'identify', traits: { phone: '+14155550199' } });
  const key = phoneLookupKey(DEFAULT_ENGINE_CONFIG.lookupSecret, '+14155550199');
  let found: string[] = [];
  await eventually(
    'the customer found by PhoneLookup',
    async () => {
      found = [];
      for await (const w of engine.client.workflow.list({ query: `PhoneLookup = "${key}"` })) found.push(w.workflowId);
      return found.length > 0;
    },
    { timeoutMs: 10_000, intervalMs: 200, optional: true },
  );
  expect(found).toEqual(['customer:c-phone']);
  const described = await engine.client.workflow.getHandle('customer:c-phone').describe();
  expect(JSON.stringify(described.searchAttributes)).not.toContain('4155550199');
});
