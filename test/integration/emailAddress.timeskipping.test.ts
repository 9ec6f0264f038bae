// The email trait is exactly one address (issue 14, point 2), end to end: the ingest API refuses a list, a
// header break or a display name with a 400 naming `traits.email` and stores nothing; a customer whose state
// already holds such a value (sent past the API, as a value stored before the check) gets no mail and the
// ledger says `invalid-address`, falling back to the next channel; a plain address gets exactly one mail to
// exactly one recipient. Real SMTP server (its envelope shows who really got the mail), the real API on a
// port, the engine on the time-skipping server.
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server';
import { loadConfig } from '../../config/config';
import type { CustomerEvent } from '../../sdk/events';
import type { DeliveryRequest, LedgerEntry } from '../../domain/customerState';
import type { EngineConfig } from '../../domain/engineConfig';
import {
  customerWorkflowId,
  deliveryRequestSignal,
  eventSignal,
  journeyWorkflowId,
  ledgerQuery,
  profileQuery,
  stateQuery,
  updateConsentSignal,
} from '../../domain/messages';
import { CUSTOMER_ID } from '../../domain/searchAttributes';
import { bundleWithTestJourneys } from '../helpers/engine';
import { eventually } from '../helpers/eventually';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';

const KEY = 'wk_email_trait_0123456789';
const engineConfig: Partial<EngineConfig> = { policy: { caps: { perDay: 10, perWeek: 20 }, quietHours: null } };

let h: TimeSkippingHarness;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  // With the test journey copy-email (test/fixtures/journeys/emailTrait.ts): j.updateTraits from an event.
  h = await startTimeSkippingHarness(engineConfig, undefined, bundleWithTestJourneys());
  const config = loadConfig({ API_WRITE_KEYS: KEY });
  app = buildServer({ client: h.engine.client, taskQueue: h.engine.taskQueue, api: config.api, engine: engineConfig });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const BAD = {
  'a comma-separated list': 'list-a@ok.example, list-b@evil.example',
  'a header break with a Bcc': 'crlf-a@ok.example\r\nBcc: crlf-b@evil.example',
  '300 addresses': Array.from({ length: 300 }, (_, i) => `many-${i}@evil.example`).join(','),
  'a display name': 'Ada <name-a@ok.example>',
};
const cases = Object.entries(BAD);

async function post(
  path: string,
  body: unknown,
): Promise<{ status: number; body: { error?: string; message?: string; issues?: Array<{ path: string; message: string }> } }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as never };
}

async function exists(customerId: string): Promise<boolean> {
  try {
    await h.engine.client.workflow.getHandle(customerWorkflowId(customerId)).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

const ledger = (customerId: string) => h.engine.client.workflow.getHandle(customerWorkflowId(customerId)).query(ledgerQuery);
const ledgerEntry = (customerId: string, match: (e: LedgerEntry) => boolean) =>
  eventually(`a matching ledger entry of ${customerId}`, async () => (await ledger(customerId)).find((e) => match(e) && e.status !== 'sending'), {
    timeoutMs: 30_000,
  });

/** Every address any mail so far was really delivered to (SMTP RCPT TO), and every To/Cc/Bcc header. */
function everyRecipient(): string[] {
  return h.smtp.mails.flatMap((m) => [
    ...(h.smtp.envelope(m)?.to ?? []),
    ...[m.to, m.cc, m.bcc].flat().flatMap((a) => (a ? a.value.map((v) => v.address ?? '') : [])),
  ]);
}

describe('the API answers 400 naming traits.email and stores nothing', () => {
  test.each(cases.map(([name, email], i) => [name, email, `ea-new-${i}`]))('identify with %s', async (_name, email, customerId) => {
    const res = await post('/v1/identify', { userId: customerId, traits: { email, firstName: 'Ada' }, messageId: `${customerId}-1` });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: 'invalid_request',
      message: expect.stringMatching(/^invalid request: traits\.email: expected exactly one email address: /),
    });
    expect(res.body.issues).toEqual([{ path: 'traits.email', message: expect.stringMatching(/^expected exactly one email address: /) }]);
    expect(await exists(customerId)).toBe(false);
  });

  test('a batch with one such identify (and a sign-up) is refused whole; context.traits too', async () => {
    const batch = await post('/v1/batch', {
      batch: [
        { type: 'identify', userId: 'ea-batch', traits: { email: BAD['a comma-separated list'] } },
        { type: 'track', userId: 'ea-batch', event: 'user.signed_up', properties: { plan: 'pro' } },
      ],
    });
    expect(batch.status).toBe(400);
    expect(batch.body.issues).toEqual([{ path: 'batch.0.traits.email', message: expect.stringContaining('"," or ";"') }]);
    const context = await post('/v1/identify', { userId: 'ea-context', context: { traits: { email: BAD['a header break with a Bcc'] } } });
    expect(context.status).toBe(400);
    expect(context.body.issues).toEqual([{ path: 'context.traits.email', message: 'expected exactly one email address: it contains a line break' }]);
    expect(await exists('ea-batch')).toBe(false);
    expect(await exists('ea-context')).toBe(false);
    expect(everyRecipient().filter((a) => a.includes('evil.example'))).toEqual([]);
  });

  test('a known customer keeps the address they had: the refused identify changes nothing', async () => {
    expect((await post('/v1/identify', { userId: 'ea-known', traits: { email: 'known@example.com' }, messageId: 'ea-known-1' })).status).toBe(200);
    const handle = h.engine.client.workflow.getHandle(customerWorkflowId('ea-known'));
    await eventually('the first identify', async () => (await handle.query(stateQuery)).eventsReceived === 1, { timeoutMs: 30_000 });
    for (const [, email] of cases) expect((await post('/v1/identify', { userId: 'ea-known', traits: { email } })).status).toBe(400);
    const s = await handle.query(stateQuery);
    expect({ events: s.eventsReceived, email: s.identities.email, trait: s.traits.email }).toEqual({
      events: 1,
      email: 'known@example.com',
      trait: 'known@example.com',
    });
  });
});

/** Stores traits the way an older client or a direct signal would have: past the API and sendEvent's checks. */
async function storeRaw(customerId: string, traits: Record<string, unknown>): Promise<void> {
  const event: CustomerEvent = { messageId: `${customerId}-raw`, type: 'identify', customerId, name: 'identify', properties: {}, traits, context: {} };
  h.watch(customerId);
  await h.engine.client.workflow.signalWithStart('customerWorkflow', {
    workflowId: customerWorkflowId(customerId),
    taskQueue: h.engine.taskQueue,
    args: [{ customerId, config: engineConfig }],
    signal: eventSignal,
    signalArgs: [event],
    typedSearchAttributes: [{ key: CUSTOMER_ID, value: customerId }],
  });
}

describe('a bad value already stored cannot be sent', () => {
  test.each(cases.map(([name, email], i) => [name, email, `ea-stored-${i}`]))(
    '%s: the welcome mail is not sent; the ledger says invalid-address',
    async (_name, email, customerId) => {
      await storeRaw(customerId, { email, firstName: 'Eve' });
      // The profile really holds it (this is the state a customer could be in before the check existed).
      expect((await h.engine.client.workflow.getHandle(customerWorkflowId(customerId)).query(profileQuery)).identities.email).toBe(email);
      await h.engine.send({ customerId, name: 'user.signed_up', properties: { plan: 'pro' } });
      const failed = await ledgerEntry(customerId, (e) => e.template === 'welcome/hello');
      expect(failed).toMatchObject({ status: 'failed', channel: 'email', reason: 'invalid-address' });
      expect(failed.detail).toMatch(
        new RegExp(
          `^cannot mail customer "${customerId}": the "email" trait is not exactly one email address \\(.+\\); nothing was sent\\. Fix the trait with identify`,
        ),
      );
      expect(failed.detail).not.toContain('evil.example');
      await h.clock.settle();
      // Nothing reached the SMTP server for any of the addresses in it, as recipient or header.
      expect(everyRecipient().filter((a) => a.includes('evil.example') || a.includes('ok.example'))).toEqual([]);
    },
  );

  test('with another channel in the request, the message moves on to it (as for any permanent failure)', async () => {
    const customerId = 'ea-fallback';
    await storeRaw(customerId, { email: BAD['a comma-separated list'], phone: '+14155550142' });
    const handle = h.engine.client.workflow.getHandle(customerWorkflowId(customerId));
    await handle.signal(updateConsentSignal, { channel: 'sms', granted: true, source: 'test' });
    const journeyWorkflowId = `journey:email-trait-test:${customerId}`;
    const request: DeliveryRequest = {
      id: `${journeyWorkflowId}/1.1`,
      journeyWorkflowId,
      journey: 'email-trait-test',
      channels: ['email', 'sms'],
      template: 'welcome/hello',
      data: {},
      topic: 'transactional',
      urgent: false,
      requestedAt: new Date().toISOString(),
    };
    await handle.signal(deliveryRequestSignal, request);
    expect(await ledgerEntry(customerId, (e) => e.id === request.id)).toMatchObject({ status: 'failed', channel: 'email', reason: 'invalid-address' });
    // This worker has no SMS provider, so the SMS attempt fails too; what matters is that it was the next try.
    expect(await ledgerEntry(customerId, (e) => e.id === `${request.id}~email`)).toMatchObject({ channel: 'sms', to: '+14155550142' });
    expect(everyRecipient().filter((a) => a.includes('evil.example') || a.includes('ok.example'))).toEqual([]);
  });
});

test('a plain address gets exactly one mail, to exactly one recipient', async () => {
  h.watch('ea-good');
  const res = await post('/v1/batch', {
    batch: [
      { type: 'identify', userId: 'ea-good', traits: { email: 'good+tag@example.com', firstName: 'Grace' }, messageId: 'ea-good-1' },
      { type: 'track', userId: 'ea-good', event: 'user.signed_up', properties: { plan: 'team' }, messageId: 'ea-good-2' },
    ],
  });
  expect(res.status).toBe(200);
  const mail = await h.smtp.waitFor((m) => m.subject === 'Welcome to Acme, Grace!');
  await h.clock.settle();
  const mine = h.smtp.mails.filter((m) => m.subject === 'Welcome to Acme, Grace!');
  expect(mine).toHaveLength(1);
  expect(h.smtp.envelope(mail)).toEqual({ from: 'hello@acme.test', to: ['good+tag@example.com'] });
  expect(mail.to).toMatchObject({ value: [{ address: 'good+tag@example.com', name: '' }] });
  expect(mail.cc).toBeUndefined();
  expect(mail.bcc).toBeUndefined();
  expect(await ledgerEntry('ea-good', (e) => e.template === 'welcome/hello')).toMatchObject({ status: 'sent', channel: 'email', to: 'good+tag@example.com' });
});

test('a journey that copies an event field into the email trait fails there, naming it; the address stays as it was', async () => {
  const customerId = 'ea-journey';
  h.watch(customerId);
  await h.engine.send({ customerId, type: 'identify', name: 'identify', traits: { email: 'journey-old@example.com' } });
  await h.engine.send({ customerId, name: 'email.changed', properties: { email: BAD['a header break with a Bcc'] } });
  const run = await h.engine.started(journeyWorkflowId('copy-email', customerId));
  const err = await run.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause).toMatchObject({
    type: 'invalid-address',
    nonRetryable: true,
    message: expect.stringMatching(/^j\.updateTraits in journey "copy-email": traits\.email: expected exactly one email address: it contains a line break\. /),
  });
  await h.clock.settle();
  const s = await h.engine.client.workflow.getHandle(customerWorkflowId(customerId)).query(stateQuery);
  expect({ email: s.identities.email, trait: s.traits.email, run: s.journeys[journeyWorkflowId('copy-email', customerId)].status }).toEqual({
    email: 'journey-old@example.com',
    trait: 'journey-old@example.com',
    run: 'failed',
  });
  expect(s.ledger.filter((e) => e.journey === 'copy-email')).toEqual([]);

  // One address goes through: the trait changes and the confirmation goes there.
  await h.engine.send({ customerId, name: 'email.changed', properties: { email: 'journey-new@example.com' } });
  const mail = await h.smtp.waitFor((m) => h.smtp.envelope(m)?.to.includes('journey-new@example.com') ?? false);
  expect(h.smtp.envelope(mail)?.to).toEqual(['journey-new@example.com']);
  expect(everyRecipient().filter((a) => a.includes('evil.example') || a.includes('ok.example'))).toEqual([]);
});
