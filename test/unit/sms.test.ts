// The SMS activity with the real `twilio` client against a local HTTP server that answers the way
// Twilio's API does (success and error JSON): what is sent, and what each answer means to the workflow.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createSmsActivities, createTwilioClient, isE164, RedirectingRequestClient } from '../../activities/sms';
import { createTemplateRenderer } from '../../activities/templates';
import { FailureTypes, type DeliverInput } from '../../domain/delivery';
import { closedPortUrl, startHttpReceiver, type HttpReceiver } from '../helpers/httpReceiver';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'test-auth-token';
const MESSAGES_PATH = `/2010-04-01/Accounts/${SID}/Messages.json`;

let dir: string;
let twilioApi: HttpReceiver;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'omnijourney-sms-'));
  mkdirSync(join(dir, 'shop'));
  writeFileSync(join(dir, 'shop/reminder.sms.liquid'), 'Hi {{ traits.firstName }}, your {{ data.item }} is still in your cart. Reply STOP to opt out.\n');
  writeFileSync(join(dir, 'shop/empty.sms.liquid'), '{{ traits.nothing }}\n');
  twilioApi = await startHttpReceiver();
});

afterAll(async () => {
  await twilioApi?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  twilioApi.requests.length = 0;
});

function sender(baseUrl = twilioApi.url, timeoutMs = 5_000) {
  const client = createTwilioClient({ accountSid: SID, authToken: TOKEN, apiBaseUrl: baseUrl, timeoutMs });
  return createSmsActivities({ client, from: '+15005550006', publicUrl: 'https://journeys.acme.test/', renderer: createTemplateRenderer({ dir }) }).sendSms;
}

function input(to: string, template = 'shop/reminder'): DeliverInput {
  return {
    idempotencyKey: 'journey:shop:c1/1.1',
    customerId: 'c1',
    journey: 'shop',
    channel: 'sms',
    to,
    template,
    topic: 'marketing',
    vars: { customer: { id: 'c1' }, traits: { firstName: 'Ada' }, data: { item: 'red shoe' }, journey: 'shop' },
  };
}

const twilioError = (status: number, code: number, message: string) => () => ({
  status,
  body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
});

describe('E.164', () => {
  test.each(['+14155550100', '+447911123456', '+4930123456', '+861012345678901'])('%s is a phone number we text', (n) => {
    expect(isE164(n)).toBe(true);
  });
  test.each(['4155550100', '+1 415 555 0100', '+1-415-555-0100', '+04155550100', '+1415555', '+1234567890123456', '00441234567890', '+1415555010a', ''])(
    '%p is refused',
    (n) => expect(isE164(n)).toBe(false),
  );

  test('a number that is not E.164 fails permanently with a fix, and nothing reaches Twilio', async () => {
    const err = await sender()(input('0171 1234567')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureTypes.PermanentDelivery, nonRetryable: true });
    // Which value it was, without the number itself (the message goes to logs and Temporal's history).
    expect((err as Error).message).toContain('ending "…4567"');
    expect((err as Error).message).not.toContain('1234567');
    expect((err as Error).message).toMatch(/E\.164.*\+14155550100.*"phone" trait/);
    expect(twilioApi.requests).toHaveLength(0);
  });
});

test('a text goes to Twilio as the twilio client sends it: form fields, credentials, status callback; the SID comes back', async () => {
  twilioApi.answer = () => ({ status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued', to: '+14155550100', from: '+15005550006' } });
  const out = await sender()(input('+14155550100'));
  expect(out).toEqual({ providerId: 'SM0123456789abcdef0123456789abcdef' });

  expect(twilioApi.requests).toHaveLength(1);
  const [req] = twilioApi.requests;
  expect(req.method).toBe('POST');
  expect(req.path).toBe(MESSAGES_PATH);
  expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
  expect(req.headers['user-agent']).toMatch(/^twilio-node\//);
  const form = new URLSearchParams(req.rawBody);
  expect(form.get('To')).toBe('+14155550100');
  expect(form.get('From')).toBe('+15005550006');
  expect(form.get('Body')).toBe('Hi Ada, your red shoe is still in your cart. Reply STOP to opt out.');
  expect(form.get('StatusCallback')).toBe('https://journeys.acme.test/webhooks/twilio/status');
});

test('a template that renders to nothing is not sent', async () => {
  await expect(sender()(input('+14155550100', 'shop/empty'))).rejects.toMatchObject({
    type: FailureTypes.PermanentDelivery,
    nonRetryable: true,
    message: expect.stringContaining('empty SMS'),
  });
  expect(twilioApi.requests).toHaveLength(0);
});

describe('what Twilio answers means to the workflow', () => {
  test('21211 (invalid To): permanent, so the workflow falls back to the next channel', async () => {
    twilioApi.answer = twilioError(400, 21211, "The 'To' number +15005550001 is not a valid phone number.");
    const err = await sender()(input('+15005550001')).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: FailureTypes.PermanentDelivery, nonRetryable: true });
    expect((err as Error).message).toContain('the number ending …0001 is not a valid phone number');
    expect((err as Error).message).not.toContain('5005550001'); // masked, also in Twilio's own text
    expect((err as Error).message).toContain('Twilio error 21211');
  });

  test('21610 (recipient replied STOP): RecipientUnsubscribed, so the workflow revokes SMS consent', async () => {
    twilioApi.answer = twilioError(400, 21610, 'Attempt to send to unsubscribed recipient');
    await expect(sender()(input('+15005550004'))).rejects.toMatchObject({
      type: FailureTypes.RecipientUnsubscribed,
      nonRetryable: true,
      message: expect.stringContaining('the number ending …0004 has unsubscribed'),
    });
  });

  test('another 4xx (e.g. 21408, region not enabled) is permanent too', async () => {
    twilioApi.answer = twilioError(400, 21408, 'Permission to send an SMS has not been enabled for the region');
    await expect(sender()(input('+8613800138000'))).rejects.toMatchObject({ type: FailureTypes.PermanentDelivery, nonRetryable: true });
  });

  test('401 (wrong credentials) is permanent and names the settings to check', async () => {
    twilioApi.answer = twilioError(401, 20003, 'Authenticate');
    await expect(sender()(input('+14155550100'))).rejects.toMatchObject({
      type: FailureTypes.PermanentDelivery,
      message: expect.stringContaining('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN'),
    });
  });

  test.each([
    [429, 20429, 'Too Many Requests'],
    [500, 20500, 'Internal Server Error'],
    [503, 20503, 'Service Unavailable'],
  ])('HTTP %i: retryable (Temporal backs off and tries again)', async (status, code, message) => {
    twilioApi.answer = twilioError(status, code, message);
    const err = await sender()(input('+14155550100')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ nonRetryable: false, type: 'ProviderUnavailable' });
    expect((err as Error).message).toContain(`HTTP ${status}`);
  });

  test('connection refused: retryable', async () => {
    const err = await sender(await closedPortUrl())(input('+14155550100')).catch((e: unknown) => e);
    expect(err).toMatchObject({ nonRetryable: false, type: 'ProviderUnavailable', message: expect.stringContaining('ECONNREFUSED') });
  });

  test('no answer within the timeout: retryable, and the activity does not hang', async () => {
    twilioApi.answer = () => 'hang';
    const started = Date.now();
    const err = await sender(twilioApi.url, 300)(input('+14155550100')).catch((e: unknown) => e);
    expect(err).toMatchObject({ nonRetryable: false, type: 'ProviderUnavailable', message: expect.stringMatching(/no answer in time/) });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

test('the redirecting HTTP client refuses any host but api.twilio.com, so nothing slips past the mock', async () => {
  const client = new RedirectingRequestClient(twilioApi.url);
  await expect(client.request({ method: 'get', uri: 'https://messaging.twilio.com/v1/Services' })).rejects.toThrow(
    /refusing to call https:\/\/messaging\.twilio\.com/,
  );
  expect(twilioApi.requests).toHaveLength(0);
});
