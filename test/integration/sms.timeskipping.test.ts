// Event → customer workflow → journey → SMS through the real twilio client to Prism, with the shipped
// abandoned-cart journey: its second reminder is an SMS a day after checkout, so this runs on the
// time-skipping server (a day of journey in seconds) with the worker's own channel wiring.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createSimulationClock, type SimulationClock } from '../../simulate/clock';
import { loadConfig } from '../../config/config';
import { createWorkerActivities } from '../../worker/activities';
import { customerWorkflowId, ledgerQuery, profileQuery, updateConsentSignal } from '../../domain/messages';
import { startEngine, startTimeSkippingServer, type RunningEngine } from '../helpers/engine';
import { startHttpReceiver, type HttpReceiver } from '../helpers/httpReceiver';
import { startPrism, type PrismServer } from '../helpers/prism';
import { recipient, startSmtpSink, type SmtpSink } from '../../harness/smtpSink';

const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
const MESSAGES = `/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`;
const HOUR = 3_600_000;

let env: TestWorkflowEnvironment;
let smtp: SmtpSink;
let prism: PrismServer;
let stopTwilio: HttpReceiver;
let engine: RunningEngine;
let stopEngine: RunningEngine;
let clock: SimulationClock;
const customers: string[] = [];

const cart = (cartId: string) => ({ cartId, items: [{ sku: 'sku-1', name: 'Red shoe', price: 49, quantity: 1 }], value: 49 });

beforeAll(async () => {
  [env, smtp, prism] = await Promise.all([startTimeSkippingServer(), startSmtpSink(), startPrism()]);
  // A second Twilio stand-in that answers like Twilio for a recipient who replied STOP (Prism cannot).
  stopTwilio = await startHttpReceiver(() => ({
    status: 400,
    body: { code: 21610, message: 'Attempt to send to unsubscribed recipient', more_info: 'https://www.twilio.com/docs/errors/21610', status: 400 },
  }));
  const envFor = (twilioUrl: string) => ({
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    PUBLIC_URL: 'https://journeys.acme.test',
    PREFERENCES_SECRET: 'prefs-timeskipping-test-0123456789',
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: 'timeskipping-test-token',
    TWILIO_API_BASE_URL: twilioUrl,
  });
  const engineConfig = { policy: { caps: { perDay: 5, perWeek: 10 }, quietHours: null } };
  engine = await startEngine(env, createWorkerActivities(loadConfig(envFor(prism.url))), engineConfig);
  stopEngine = await startEngine(env, createWorkerActivities(loadConfig(envFor(stopTwilio.url))), engineConfig);
  clock = createSimulationClock({ env, client: engine.client, clockOffsetMs: 0, customers: () => customers });
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  await stopEngine?.stop();
  await env?.teardown();
  await Promise.all([smtp?.close(), prism?.stop(), stopTwilio?.close()]);
});

test('a cart left for a day: email after 1 h, then an SMS through Prism to the opted-in phone, SID in the ledger', async () => {
  customers.push('cart-ada');
  await engine.send({
    customerId: 'cart-ada',
    type: 'identify',
    name: 'identify',
    traits: { email: 'ada@example.com', phone: '+14155550123', firstName: 'Ada' },
  });
  await engine.client.workflow.getHandle(customerWorkflowId('cart-ada')).signal(updateConsentSignal, { channel: 'sms', granted: true });
  await engine.send({ customerId: 'cart-ada', name: 'checkout.started', properties: cart('C1') });
  const journey = await engine.started('journey:abandoned-cart:cart-ada:C1');

  const t0 = await clock.now();
  await clock.advanceTo(new Date(t0.getTime() + 25 * HOUR));
  expect((await journey.describe()).status.name).toBe('COMPLETED');

  const sent = (await engine.client.workflow.getHandle(customerWorkflowId('cart-ada')).query(ledgerQuery)).filter((e) => e.status === 'sent');
  expect(sent.map((e) => [e.template, e.channel])).toEqual([
    ['abandoned-cart/reminder-1', 'email'],
    ['abandoned-cart/reminder-2', 'sms'],
  ]);
  expect(sent[1]).toMatchObject({ to: '+14155550123', providerId: expect.stringMatching(/^SM[0-9a-f]{32}$/i) });
  expect((Date.parse(sent[1].at) - t0.getTime()) / HOUR).toBeCloseTo(24, 1);

  const texts = prism.recorded.filter((r) => r.path === MESSAGES);
  expect(texts).toHaveLength(1);
  expect(texts[0].status).toBe(201); // Prism validated the request against Twilio's spec
  expect(Object.fromEntries(new URLSearchParams(texts[0].rawBody))).toMatchObject({
    To: '+14155550123',
    Body: 'Your cart with Red shoe is still saved. Reply STOP to opt out.',
    StatusCallback: 'https://journeys.acme.test/webhooks/twilio/status',
  });
  // The reminder-1 mail only; the SMS was not doubled by an email.
  expect(smtp.mails.filter((m) => recipient(m) === 'ada@example.com').map((m) => m.subject)).toEqual(['You left 1 item in your cart']);
});

test('Twilio says the recipient replied STOP (21610): SMS consent is revoked and the reminder falls back to email', async () => {
  customers.push('cart-stop');
  await stopEngine.send({ customerId: 'cart-stop', type: 'identify', name: 'identify', traits: { email: 'stop@example.com', phone: '+14155550199' } });
  await stopEngine.client.workflow.getHandle(customerWorkflowId('cart-stop')).signal(updateConsentSignal, { channel: 'sms', granted: true });
  await stopEngine.send({ customerId: 'cart-stop', name: 'checkout.started', properties: cart('S1') });
  await stopEngine.started('journey:abandoned-cart:cart-stop:S1');

  await clock.advanceTo(new Date((await clock.now()).getTime() + 25 * HOUR));

  const handle = stopEngine.client.workflow.getHandle(customerWorkflowId('cart-stop'));
  const ledger = await handle.query(ledgerQuery);
  const reminder2 = ledger.filter((e) => e.template === 'abandoned-cart/reminder-2');
  expect(reminder2.map((e) => [e.channel, e.status, e.reason])).toEqual([
    ['sms', 'failed', 'RecipientUnsubscribed'],
    ['email', 'sent', undefined],
  ]);
  expect(reminder2[0].detail).toContain('the number ending …0199 has unsubscribed');
  expect(stopTwilio.requests.filter((r) => r.path === MESSAGES)).toHaveLength(1); // not retried
  expect((await handle.query(profileQuery)).consent.channels.sms).toBe(false);
  expect(smtp.mails.filter((m) => recipient(m) === 'stop@example.com').map((m) => m.subject)).toEqual([
    'You left 1 item in your cart',
    'Still thinking it over?',
  ]);
});
