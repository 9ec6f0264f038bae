// Every channel end to end on a real Temporal dev server, with the worker's own wiring
// (createWorkerActivities + loadConfig): SMS through the real twilio client to Prism, a signed webhook and
// a Slack message to local receivers, marketing mail with one-click unsubscribe to a real SMTP server.
// Email starts from an event (welcome journey); SMS, webhook and Slack are delivery requests to the
// customer workflow, the signal a journey's `send` makes (no shipped journey sends them without a 1-day wait;
// see sms.timeskipping.test.ts for event → journey → SMS).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTemplateRenderer } from '../../activities/templates';
import { verifyWebhookSignature } from '../../activities/webhook';
import { verifyPreferenceToken } from '../../preferences/token';
import type { Channel, Topic } from '../../sdk/events';
import { createWorkerActivities, templatesDir } from '../../worker/activities';
import type { DeliveryRequest, LedgerEntry } from '../../domain/customerState';
import { customerWorkflowId, deliveryRequestSignal, ledgerQuery, updateConsentSignal } from '../../domain/messages';
import { startDevServerHarness, type DevServerHarness, type WithPrism } from '../helpers/devServerHarness';
import type { RunningEngine } from '../helpers/engine';
import { eventually } from '../helpers/eventually';
import { startHttpReceiver, type HttpReceiver } from '../helpers/httpReceiver';
import type { PrismServer } from '../helpers/prism';
import { recipient, type SmtpSink } from '../../harness/smtpSink';

const WEBHOOK_SECRET = 'whsec_devserver_test_0123456789';
const PREFERENCES_SECRET = 'prefs-devserver-test-0123456789';
const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';

let h: WithPrism<DevServerHarness>;
let smtp: SmtpSink;
let prism: PrismServer;
let webhook: HttpReceiver;
let slack: HttpReceiver;
let engine: RunningEngine;
let templates: string;

beforeAll(async () => {
  // The shipped templates plus two for the team channels (no shipped journey posts to them yet).
  templates = mkdtempSync(join(tmpdir(), 'omnijourney-channels-'));
  cpSync(templatesDir, templates, { recursive: true });
  mkdirSync(join(templates, 'ops'));
  writeFileSync(join(templates, 'ops/vip-signup.webhook.liquid'), 'VIP {{ traits.firstName }} signed up for {{ data.plan }}\n');
  writeFileSync(join(templates, 'ops/vip-signup.slack.liquid'), ':tada: *{{ traits.firstName }}* signed up for the *{{ data.plan }}* plan\n');

  [webhook, slack] = await Promise.all([startHttpReceiver(), startHttpReceiver()]);
  // The worker's own wiring; the harness points SMTP at its sink and Twilio at its Prism.
  h = await startDevServerHarness({
    name: 'channels',
    prism: true,
    config: {
      PUBLIC_URL: 'https://journeys.acme.test',
      PREFERENCES_SECRET,
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: 'devserver-test-token',
      TWILIO_FROM: '+15005550006',
      WEBHOOK_URL: `${webhook.url}/hooks/omnijourney`,
      WEBHOOK_SECRET,
      SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/XXXX`,
    },
    activities: (config) => createWorkerActivities(config, createTemplateRenderer({ dir: templates })),
  });
  ({ smtp, prism, engine } = h);
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await Promise.all([webhook?.close(), slack?.close()]);
  if (templates) rmSync(templates, { recursive: true, force: true });
});

let requests = 0;
/** What a journey's `send` signals to the customer workflow. */
async function requestDelivery(
  customerId: string,
  channels: Channel[],
  template: string,
  data: Record<string, unknown>,
  topic: Topic = 'marketing',
): Promise<string> {
  const journeyWorkflowId = `journey:channels-test:${customerId}`;
  const id = `${journeyWorkflowId}/1.${++requests}`;
  const request: DeliveryRequest = {
    id,
    journeyWorkflowId,
    journey: 'channels-test',
    channels,
    template,
    data,
    topic,
    urgent: false,
    requestedAt: new Date().toISOString(),
  };
  await engine.client.workflow.getHandle(customerWorkflowId(customerId)).signal(deliveryRequestSignal, request);
  return id;
}

/** The customer's ledger once `done` holds for it (polls the workflow's query). */
async function ledgerWhen(customerId: string, done: (ledger: LedgerEntry[]) => boolean, timeoutMs = 30_000): Promise<LedgerEntry[]> {
  const handle = engine.client.workflow.getHandle(customerWorkflowId(customerId));
  let ledger: LedgerEntry[] = [];
  return eventually(
    `the ledger of ${customerId} as expected`,
    async () => {
      ledger = await handle.query(ledgerQuery);
      return done(ledger) && ledger;
    },
    { timeoutMs, intervalMs: 150, detail: () => JSON.stringify(ledger, null, 2) },
  );
}

async function optInToSms(customerId: string, phone: string, traits: Record<string, unknown> = {}): Promise<void> {
  await engine.send({ customerId, type: 'identify', name: 'identify', traits: { email: `${customerId}@example.com`, phone, ...traits } });
  await engine.client.workflow.getHandle(customerWorkflowId(customerId)).signal(updateConsentSignal, { channel: 'sms', granted: true });
}

test('(a) a customer with a phone number and SMS consent gets an SMS: the twilio client calls Prism, the ledger has the SID', async () => {
  await optInToSms('sms-ada', '+14155550123', { firstName: 'Ada' });
  const id = await requestDelivery('sms-ada', ['sms', 'email'], 'abandoned-cart/reminder-2', {
    cartId: 'A1',
    items: [{ sku: 's1', name: 'Red shoe', price: 49 }],
    value: 49,
  });

  const ledger = await ledgerWhen('sms-ada', (l) => l.some((e) => e.id === id && e.status !== 'sending'));
  const entry = ledger.find((e) => e.id === id);
  expect(entry).toMatchObject({ status: 'sent', channel: 'sms', to: '+14155550123' });
  expect(entry?.providerId).toMatch(/^SM[0-9a-f]{32}$/i);

  // What the twilio client sent, as Prism received (and validated against Twilio's spec) it.
  const sent = prism.recorded.filter((r) => r.path === `/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatchObject({ method: 'POST', status: 201 });
  expect(sent[0].headers['user-agent']).toMatch(/^twilio-node\//);
  const form = new URLSearchParams(sent[0].rawBody);
  expect(Object.fromEntries(form)).toEqual({
    To: '+14155550123',
    From: '+15005550006',
    Body: 'Your cart with Red shoe is still saved. Reply STOP to opt out.',
    StatusCallback: 'https://journeys.acme.test/webhooks/twilio/status',
  });
  expect(prism.requests).toContain(`POST /2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
  // SMS went out, so no fallback mail.
  expect(smtp.mailsTo('sms-ada@example.com')).toHaveLength(0);
});

test('(a) a phone number that is not E.164 fails permanently and the workflow falls back to email', async () => {
  await optInToSms('sms-bad', '0171 1234567');
  const before = prism.recorded.length;
  const id = await requestDelivery('sms-bad', ['sms', 'email'], 'abandoned-cart/reminder-2', {
    cartId: 'B1',
    items: [{ sku: 's1', name: 'Blue hat', price: 9 }],
    value: 9,
  });

  const ledger = await ledgerWhen('sms-bad', (l) => l.some((e) => e.id === `${id}~sms` && e.status === 'sent'));
  expect(ledger.find((e) => e.id === id)).toMatchObject({
    status: 'failed',
    channel: 'sms',
    reason: 'PermanentDeliveryFailure',
    detail: expect.stringContaining('not an E.164 phone number'),
  });
  expect(ledger.find((e) => e.id === `${id}~sms`)).toMatchObject({ status: 'sent', channel: 'email', to: 'sms-bad@example.com' });
  const mail = await smtp.waitFor((m) => recipient(m) === 'sms-bad@example.com');
  expect(mail.subject).toBe('Still thinking it over?');
  expect(prism.recorded.length).toBe(before); // nothing reached Twilio
});

test('(b) the webhook receiver gets the signed body once, with the idempotency key', async () => {
  await engine.send({ customerId: 'vip-1', type: 'identify', name: 'identify', traits: { email: 'vip@example.com', firstName: 'Grace' } });
  const id = await requestDelivery('vip-1', ['webhook'], 'ops/vip-signup', { plan: 'team' }, 'transactional');

  const [req] = await webhook.waitFor(1);
  const ledger = await ledgerWhen('vip-1', (l) => l.some((e) => e.id === id && e.status === 'sent'));
  expect(ledger.find((e) => e.id === id)).toMatchObject({ channel: 'webhook', providerId: `webhook:${id}` });

  expect(req.method).toBe('POST');
  expect(req.path).toBe('/hooks/omnijourney');
  expect(verifyWebhookSignature(WEBHOOK_SECRET, req.headers['omnijourney-signature'] as string, req.rawBody, 300)).toBe(true);
  expect(verifyWebhookSignature('whsec_someone_else_0123456789', req.headers['omnijourney-signature'] as string, req.rawBody, 300)).toBe(false);
  expect(req.headers['idempotency-key']).toBe(id);
  expect(JSON.parse(req.rawBody)).toEqual({
    id,
    type: 'journey.message',
    customerId: 'vip-1',
    journey: 'channels-test',
    template: 'ops/vip-signup',
    topic: 'transactional',
    data: { plan: 'team' },
    text: 'VIP Grace signed up for team',
  });
  await new Promise((r) => setTimeout(r, 1500));
  expect(webhook.requests).toHaveLength(1);
});

test('(c) Slack gets a message with blocks naming the journey and customer', async () => {
  await engine.send({ customerId: 'vip-2', type: 'identify', name: 'identify', traits: { firstName: 'Linus' } });
  const id = await requestDelivery('vip-2', ['slack'], 'ops/vip-signup', { plan: 'pro' }, 'transactional');

  const [req] = await slack.waitFor(1);
  await ledgerWhen('vip-2', (l) => l.some((e) => e.id === id && e.status === 'sent' && e.channel === 'slack'));
  expect(req.path).toBe('/services/T000/B000/XXXX');
  expect(JSON.parse(req.rawBody)).toEqual({
    text: ':tada: *Linus* signed up for the *pro* plan',
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: ':tada: *Linus* signed up for the *pro* plan' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Journey *channels-test* · customer `vip-2` · ops/vip-signup' }] },
    ],
  });
});

test('(d) a sign-up event sends a marketing mail with HTML and text parts and one-click unsubscribe that names the customer', async () => {
  await engine.send({ customerId: 'mail-1', type: 'identify', name: 'identify', traits: { email: 'mail-1@example.com', firstName: 'Hedy' } });
  await engine.send({ customerId: 'mail-1', name: 'user.signed_up', properties: { plan: 'pro' } });

  const mail = await smtp.waitFor((m) => recipient(m) === 'mail-1@example.com');
  expect(mail.subject).toBe('Welcome to Acme, Hedy!');
  expect(mail.html).toMatch(/^<!doctype html>/i);
  expect(mail.html).toContain('<strong>pro</strong>');
  expect(mail.text).toContain('Your pro plan is ready');

  const line = mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line.replace(/\r?\n\s+/g, ' ');
  const m = /^List-Unsubscribe: <https:\/\/journeys\.acme\.test\/unsubscribe\/([A-Za-z0-9_.-]+)>$/.exec(line ?? '');
  expect(m).not.toBeNull();
  expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  expect(verifyPreferenceToken(PREFERENCES_SECRET, m![1])).toMatchObject({ ok: true, customerId: 'mail-1' });
  expect(mail.text).toContain(`Unsubscribe (https://journeys.acme.test/unsubscribe/${m![1]})`);
});
