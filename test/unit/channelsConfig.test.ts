// Channel settings from the environment: dev defaults that work with `npm start`, and clear refusals.
import { DEV_PREFERENCES_SECRET, loadConfig } from '../../config/config';
import { createDeliveryActivities } from '../../activities/delivery';
import { createChannelSenders } from '../../worker/activities';

test('defaults: the public URL of the local API, Twilio through the local Prism, no webhook or Slack', () => {
  const c = loadConfig({});
  expect(c.publicUrl).toBe('http://127.0.0.1:3000');
  expect(c.channels.preferencesSecret).toBe(DEV_PREFERENCES_SECRET);
  expect(c.channels.usesDevPreferencesSecret).toBe(true);
  expect(c.channels.sms).toMatchObject({ apiBaseUrl: 'http://127.0.0.1:4010', prismPort: 4010, usesPrism: true, from: '+15005550006' });
  expect(c.channels.sms.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
  expect(c.channels.webhook).toBeUndefined();
  expect(c.channels.slack).toBeUndefined();
});

test('PRISM_PORT moves the default Twilio URL with it; TWILIO_API_BASE_URL=twilio means the real API', () => {
  expect(loadConfig({ PRISM_PORT: '4999' }).channels.sms).toMatchObject({ apiBaseUrl: 'http://127.0.0.1:4999', usesPrism: true });
  expect(loadConfig({ TWILIO_API_BASE_URL: 'twilio' }).channels.sms).toMatchObject({ apiBaseUrl: undefined, usesPrism: false });
  expect(loadConfig({ TWILIO_API_BASE_URL: '' }).channels.sms.apiBaseUrl).toBeUndefined();
  expect(loadConfig({ TWILIO_API_BASE_URL: 'http://twilio-mock.internal:8080/' }).channels.sms).toMatchObject({
    apiBaseUrl: 'http://twilio-mock.internal:8080',
    usesPrism: false,
  });
});

test('without PUBLIC_URL, links point at the local API on API_PORT', () => {
  expect(loadConfig({ API_PORT: '3999' }).publicUrl).toBe('http://127.0.0.1:3999');
});

test('PUBLIC_URL loses its trailing slash; webhook and Slack appear when configured', () => {
  const c = loadConfig({
    PUBLIC_URL: 'https://journeys.acme.com/',
    PREFERENCES_SECRET: 'prod-like-secret-0123456789',
    WEBHOOK_URL: 'https://hooks.acme.com/omnijourney',
    WEBHOOK_SECRET: 'whsec_0123456789abcdef',
    SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/XYZ',
  });
  expect(c.publicUrl).toBe('https://journeys.acme.com');
  expect(c.channels).toMatchObject({ preferencesSecret: 'prod-like-secret-0123456789', usesDevPreferencesSecret: false });
  expect(c.channels.webhook).toEqual({ url: 'https://hooks.acme.com/omnijourney', secret: 'whsec_0123456789abcdef' });
  expect(c.channels.slack).toEqual({ url: 'https://hooks.slack.com/services/T0/B0/XYZ' });
});

test('a public PUBLIC_URL with the development PREFERENCES_SECRET is refused (links would be forgeable)', () => {
  expect(() => loadConfig({ PUBLIC_URL: 'https://journeys.acme.com' })).toThrow(
    /PREFERENCES_SECRET: required when PUBLIC_URL \(https:\/\/journeys\.acme\.com\) is not a loopback address/,
  );
  // A name that starts like a loopback address is still a name (test/unit/config.secrets.test.ts has the rest).
  expect(() => loadConfig({ PUBLIC_URL: 'https://127.attacker.example' })).toThrow(/PREFERENCES_SECRET: required when PUBLIC_URL/);
  expect(loadConfig({ PUBLIC_URL: 'http://localhost:8080' }).publicUrl).toBe('http://localhost:8080');
});

test('a webhook URL without a secret is refused (webhooks are always signed)', () => {
  expect(() => loadConfig({ WEBHOOK_URL: 'https://hooks.acme.com/x' })).toThrow(/WEBHOOK_SECRET: required when WEBHOOK_URL is set/);
});

test.each([
  ['TWILIO_FROM', '0171 1234567', /TWILIO_FROM: expected an E\.164 number/],
  ['TWILIO_ACCOUNT_SID', 'SK123', /TWILIO_ACCOUNT_SID: expected "AC" followed by 32 hex digits/],
  ['PUBLIC_URL', 'journeys.acme.com', /PUBLIC_URL: expected an http:\/\/ or https:\/\/ URL/],
  ['TWILIO_API_BASE_URL', 'api.twilio.com', /TWILIO_API_BASE_URL: expected a URL such as http:\/\/127\.0\.0\.1:4010, or "twilio" for the real API/],
  ['PREFERENCES_SECRET', 'short', /PREFERENCES_SECRET: use at least 16 random characters/],
])('an invalid %s names the variable and the fix', (name, value, message) => {
  expect(() => loadConfig({ [name]: value })).toThrow(message);
});

test('secrets and the Slack URL are not echoed in configuration errors', () => {
  for (const [name, value] of [
    ['PREFERENCES_SECRET', 'tooshort-secret'],
    ['WEBHOOK_SECRET', 'tooshort-secret'],
    ['TWILIO_AUTH_TOKEN', ''],
    ['SLACK_WEBHOOK_URL', 'hooks.slack.com/services/T0/B0/SECRETPART'],
  ]) {
    let message = '';
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(name);
    expect(message).toContain('(value hidden)');
    if (value) expect(message).not.toContain(value);
  }
});

test('the worker wires a sender per configured channel; an unconfigured one is refused as such', async () => {
  expect(Object.keys(createChannelSenders(loadConfig({}))).sort()).toEqual(['email', 'sms']);
  const all = loadConfig({
    WEBHOOK_URL: 'https://hooks.acme.com/x',
    WEBHOOK_SECRET: 'whsec_0123456789abcdef',
    SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/X',
  });
  expect(Object.keys(createChannelSenders(all)).sort()).toEqual(['email', 'slack', 'sms', 'webhook']);

  const deliver = createDeliveryActivities(createChannelSenders(loadConfig({}))).deliver;
  await expect(
    deliver({
      idempotencyKey: 'k',
      customerId: 'c',
      journey: 'j',
      channel: 'slack',
      to: 'slack',
      template: 'j/t',
      topic: 'transactional',
      vars: { customer: { id: 'c' }, traits: {}, data: {}, journey: 'j' },
    }),
  ).rejects.toMatchObject({ type: 'PermanentDeliveryFailure', message: 'channel "slack" is not configured on this worker' });
});

test('real Twilio credentials without TWILIO_API_BASE_URL go to the real API, not the local mock', () => {
  const c = loadConfig({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'real-token', TWILIO_FROM: '+14155550100' });
  expect(c.channels.sms.apiBaseUrl).toBeUndefined();
  expect(c.channels.sms.usesPrism).toBe(false);
  expect(loadConfig({}).channels.sms.usesPrism).toBe(true);
});
