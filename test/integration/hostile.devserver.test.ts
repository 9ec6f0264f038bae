// Hostile input on every endpoint of the API, sent as raw bytes over a real socket to the API on a real
// port, in front of a real dev server and worker: huge strings and arrays, deep nesting, `__proto__` and
// `constructor` keys, invalid UTF-8, NUL bytes, wrong types, unsupported message types, impossible and
// extreme timestamps, forged preference tokens, forged Twilio signatures, missing and wrong keys. Each gets
// the right 4xx, and nothing is stored: the customer workflow a request names does not exist afterwards,
// and a real customer's state (consent, events, journeys) is what it was. The process's own prototypes are
// checked for pollution at the end.
import { signPreferenceToken } from '../../preferences/token';
import { customerWorkflowId, stateQuery, updateConsentSignal } from '../../domain/messages';
import { startApiHarness, type ApiHarness } from '../helpers/devServerHarness';
import type { RunningEngine } from '../helpers/engine';
import { reliabilityLine, until } from '../helpers/faults';
import { customerExists, form, formHeaders, rawRequest, twilioSignature as signTwilio, type RawAnswer } from '../helpers/rawHttp';
import type { SmtpSink } from '../../harness/smtpSink';

const KEY = 'wk_hostile_primary_0123456789';
const PREFERENCES_SECRET = 'hostile-preferences-secret-0123456789';
const TWILIO_TOKEN = 'hostile-twilio-auth-token';
const CODEC_TOKEN = 'hostile-codec-token-0123456789';
const PUBLIC_URL = 'https://journeys.hostile.test';
const PHONE = '+14155550177';
const VICTIM = 'victim';

let h: ApiHarness;
let smtp: SmtpSink;
let engine: RunningEngine;
let port: number;
/** Every answer, for the summary line. */
const seen: number[] = [];

beforeAll(async () => {
  h = await startApiHarness({
    name: 'hostile',
    config: { API_WRITE_KEYS: KEY, PREFERENCES_SECRET, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, PUBLIC_URL },
    codec: { authTokens: [CODEC_TOKEN], corsOrigins: ['http://localhost:8233'] },
  });
  ({ smtp, engine, port } = h);

  // The customer the attacks aim at: email, phone, SMS on, in a journey.
  await engine.send({ customerId: VICTIM, type: 'identify', name: 'identify', traits: { email: 'victim@hostile.example', phone: PHONE } });
  await engine.client.workflow.getHandle(customerWorkflowId(VICTIM)).signal(updateConsentSignal, { channel: 'sms', granted: true, source: 'test-signup' });
  await engine.send({ customerId: VICTIM, name: 'user.signed_up', properties: { plan: 'pro' } });
  await smtp.waitFor((m) => m.subject === 'Welcome to Acme, there!', 30_000);
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

// ---- helpers ----------------------------------------------------------------------------------------

/** One raw request; every answer counts towards the no-5xx check. */
async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawAnswer> {
  const answer = await rawRequest(port, method, path, headers, body);
  seen.push(answer.status);
  return answer;
}

const auth = { authorization: `Bearer ${KEY}` };
const json = { 'content-type': 'application/json' };
const ingest = (path: string, body: string | Buffer, headers: Record<string, string> = { ...auth, ...json }) => send('POST', path, headers, body);

const exists = (customerId: string) => customerExists(engine.client, customerId);

/** What must not change on the victim: consent (with its history), events, journeys, ledger, traits. */
async function victimState(): Promise<string> {
  const s = await engine.client.workflow.getHandle(customerWorkflowId(VICTIM)).query(stateQuery);
  return JSON.stringify({
    consent: s.consent,
    events: s.eventsReceived,
    recent: s.recentEvents,
    journeys: s.journeys,
    ledger: s.ledger,
    traits: s.traits,
    paused: s.paused,
  });
}

const nest = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const twilioSignature = (url: string, params: Record<string, string>, token = TWILIO_TOKEN) => signTwilio(token, url, params);

// ---- the ingest API ------------------------------------------------------------------------------------

interface Attack {
  name: string;
  path: '/v1/track' | '/v1/identify' | '/v1/batch';
  body: string | Buffer;
  headers?: Record<string, string>;
  status: number;
  /** The customer the request names: must not exist afterwards. */
  customer: string;
}

const bad = (id: string, fields: string) => `{"userId":"${id}","event":"hostile.probe",${fields}}`;
const invalidUtf8 = Buffer.concat([
  Buffer.from('{"userId":"h-utf8","event":"hostile.probe","properties":{"name":"'),
  Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
  Buffer.from('"}}'),
]);
const overlong = Buffer.concat([Buffer.from('{"userId":"h-utf8-overlong","event":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);

const attacks: Attack[] = [
  // Size
  { name: 'a 100 KB userId', path: '/v1/track', body: `{"userId":"${'x'.repeat(100_000)}","event":"hostile.probe"}`, status: 413, customer: 'x'.repeat(200) },
  {
    name: 'a 5,000-character event name (limit 200)',
    path: '/v1/track',
    body: `{"userId":"h-longname","event":"${'e'.repeat(5000)}"}`,
    status: 400,
    customer: 'h-longname',
  },
  {
    name: 'a 1 MB string in properties',
    path: '/v1/track',
    body: bad('h-bigprop', `"properties":{"blob":"${'y'.repeat(1_000_000)}"}`),
    status: 413,
    customer: 'h-bigprop',
  },
  {
    name: 'an array of 200,000 numbers',
    path: '/v1/identify',
    body: `{"userId":"h-bigarray","traits":{"list":[${Array(200_000).fill(7).join(',')}]}}`,
    status: 413,
    customer: 'h-bigarray',
  },
  {
    name: 'a batch of 10,000 messages',
    path: '/v1/batch',
    body: JSON.stringify({ batch: Array.from({ length: 10_000 }, () => ({ type: 'track', userId: 'h-bigbatch', event: 'e' })) }),
    status: 413,
    customer: 'h-bigbatch',
  },
  {
    name: 'a batch of 101 small messages',
    path: '/v1/batch',
    body: JSON.stringify({ batch: Array.from({ length: 101 }, () => ({ type: 'track', userId: 'h-101', event: 'e' })) }),
    status: 413,
    customer: 'h-101',
  },
  // Nesting
  {
    name: 'properties nested 5,000 deep (within 32 KB)',
    path: '/v1/track',
    body: bad('h-deep', `"properties":${nest(5000)}`),
    status: 400,
    customer: 'h-deep',
  },
  { name: 'traits nested 200 deep', path: '/v1/identify', body: `{"userId":"h-deep2","traits":${nest(200)}}`, status: 400, customer: 'h-deep2' },
  {
    name: 'arrays nested 3,000 deep',
    path: '/v1/track',
    body: bad('h-deeparr', `"properties":{"a":${'['.repeat(3000)}${']'.repeat(3000)}}`),
    status: 400,
    customer: 'h-deeparr',
  },
  // Prototype poisoning
  {
    name: '__proto__ in properties',
    path: '/v1/track',
    body: bad('h-proto', '"properties":{"__proto__":{"polluted":true}}'),
    status: 400,
    customer: 'h-proto',
  },
  {
    name: '__proto__ at the top',
    path: '/v1/identify',
    body: '{"userId":"h-proto2","__proto__":{"polluted":true},"traits":{}}',
    status: 400,
    customer: 'h-proto2',
  },
  {
    name: 'constructor.prototype in traits',
    path: '/v1/identify',
    body: '{"userId":"h-ctor","traits":{"constructor":{"prototype":{"polluted":true}}}}',
    status: 400,
    customer: 'h-ctor',
  },
  {
    name: '__proto__ inside a batch message',
    path: '/v1/batch',
    body: '{"batch":[{"type":"track","userId":"h-proto3","event":"e","properties":{"x":{"__proto__":{"polluted":true}}}}]}',
    status: 400,
    customer: 'h-proto3',
  },
  // Encoding
  { name: 'invalid UTF-8 in a string', path: '/v1/track', body: invalidUtf8, status: 400, customer: 'h-utf8' },
  { name: 'an overlong UTF-8 encoding of "/"', path: '/v1/track', body: overlong, status: 400, customer: 'h-utf8-overlong' },
  { name: 'a NUL byte in the userId', path: '/v1/track', body: '{"userId":"h-nul\\u0000x","event":"hostile.probe"}', status: 400, customer: 'h-nul\u0000x' },
  {
    name: 'control characters in the userId',
    path: '/v1/identify',
    body: '{"userId":"h-ctl\\u001b[31m\\r\\n","traits":{}}',
    status: 400,
    customer: 'h-ctl\u001b[31m\r\n',
  },
  { name: 'a lone surrogate in the event name', path: '/v1/track', body: '{"userId":"h-surrogate","event":"e\\ud800"}', status: 400, customer: 'h-surrogate' },
  {
    name: 'UTF-16 declared',
    path: '/v1/track',
    body: Buffer.from('{"userId":"h-utf16","event":"e"}', 'utf16le'),
    headers: { ...auth, 'content-type': 'application/json; charset=utf-16' },
    status: 415,
    customer: 'h-utf16',
  },
  // Types
  { name: 'userId a number', path: '/v1/track', body: '{"userId":42,"event":"hostile.probe"}', status: 400, customer: '42' },
  { name: 'event an array', path: '/v1/track', body: '{"userId":"h-types1","event":["a"]}', status: 400, customer: 'h-types1' },
  { name: 'properties a string', path: '/v1/track', body: bad('h-types2', '"properties":"not an object"'), status: 400, customer: 'h-types2' },
  { name: 'traits an array', path: '/v1/identify', body: '{"userId":"h-types3","traits":["email"]}', status: 400, customer: 'h-types3' },
  { name: 'messageId an object', path: '/v1/track', body: bad('h-types4', '"messageId":{"$ne":null}'), status: 400, customer: 'h-types4' },
  { name: 'context a string', path: '/v1/track', body: bad('h-types5', '"context":"Europe/London"'), status: 400, customer: 'h-types5' },
  { name: 'batch an object', path: '/v1/batch', body: '{"batch":{"type":"track","userId":"h-types6","event":"e"}}', status: 400, customer: 'h-types6' },
  { name: 'batch of scalars', path: '/v1/batch', body: '{"batch":[1,"track",null]}', status: 400, customer: 'h-types7' },
  { name: 'a JSON array body', path: '/v1/track', body: '[{"userId":"h-types8","event":"e"}]', status: 400, customer: 'h-types8' },
  { name: 'a JSON string body', path: '/v1/identify', body: '"h-types9"', status: 400, customer: 'h-types9' },
  { name: 'null body', path: '/v1/track', body: 'null', status: 400, customer: 'h-types10' },
  { name: 'truncated JSON', path: '/v1/track', body: '{"userId":"h-trunc","event":"e"', status: 400, customer: 'h-trunc' },
  // Calls the API does not take
  {
    name: 'a Segment page call in a batch',
    path: '/v1/batch',
    body: '{"batch":[{"type":"page","userId":"h-page","name":"Home"}]}',
    status: 400,
    customer: 'h-page',
  },
  {
    name: 'an alias call in a batch',
    path: '/v1/batch',
    body: '{"batch":[{"type":"alias","userId":"h-alias","previousId":"victim"}]}',
    status: 400,
    customer: 'h-alias',
  },
  {
    name: 'an identify posted to /v1/track',
    path: '/v1/track',
    body: '{"type":"identify","userId":"h-wrongtype","event":"e"}',
    status: 400,
    customer: 'h-wrongtype',
  },
  {
    name: 'one bad message spoils the batch',
    path: '/v1/batch',
    body: '{"batch":[{"type":"track","userId":"h-spoil","event":"ok"},{"type":"track","userId":"h-spoil2","event":""}]}',
    status: 400,
    customer: 'h-spoil',
  },
  // Timestamps
  { name: 'February 30th', path: '/v1/track', body: bad('h-ts1', '"timestamp":"2026-02-30T10:00:00Z"'), status: 400, customer: 'h-ts1' },
  { name: 'an expanded year (+275760)', path: '/v1/track', body: bad('h-ts2', '"timestamp":"+275760-09-13T00:00:00Z"'), status: 400, customer: 'h-ts2' },
  { name: 'a timestamp without an offset', path: '/v1/track', body: bad('h-ts3', '"timestamp":"2026-01-05T09:00:00"'), status: 400, customer: 'h-ts3' },
  { name: 'a Unix timestamp', path: '/v1/track', body: bad('h-ts4', '"timestamp":1767600000'), status: 400, customer: 'h-ts4' },
  { name: 'a timezone that is not IANA', path: '/v1/track', body: bad('h-tz', '"context":{"timezone":"../../etc/localtime"}'), status: 400, customer: 'h-tz' },
  // Keys
  { name: 'no write key', path: '/v1/track', body: '{"userId":"h-nokey","event":"e"}', headers: json, status: 401, customer: 'h-nokey' },
  {
    name: 'a wrong write key',
    path: '/v1/track',
    body: '{"userId":"h-wrongkey","event":"e"}',
    headers: { ...json, authorization: 'Bearer wk_wrong_0123456789abcdef' },
    status: 401,
    customer: 'h-wrongkey',
  },
  {
    name: 'the key with one character more',
    path: '/v1/identify',
    body: '{"userId":"h-longkey","traits":{}}',
    headers: { ...json, authorization: `Bearer ${KEY}0` },
    status: 401,
    customer: 'h-longkey',
  },
  {
    name: 'the key as the Basic password',
    path: '/v1/track',
    body: '{"userId":"h-keypass","event":"e"}',
    headers: { ...json, authorization: `Basic ${Buffer.from(`:${KEY}`).toString('base64')}` },
    status: 401,
    customer: 'h-keypass',
  },
  {
    name: 'the key in the body (writeKey)',
    path: '/v1/track',
    body: `{"userId":"h-bodykey","event":"e","writeKey":"${KEY}"}`,
    headers: json,
    status: 401,
    customer: 'h-bodykey',
  },
  {
    name: 'an empty Bearer',
    path: '/v1/batch',
    body: '{"batch":[{"type":"track","userId":"h-emptykey","event":"e"}]}',
    headers: { ...json, authorization: 'Bearer ' },
    status: 401,
    customer: 'h-emptykey',
  },
  {
    name: 'a Digest scheme',
    path: '/v1/track',
    body: '{"userId":"h-digest","event":"e"}',
    headers: { ...json, authorization: `Digest username="${KEY}"` },
    status: 401,
    customer: 'h-digest',
  },
  // Content types
  {
    name: 'text/plain',
    path: '/v1/track',
    body: '{"userId":"h-ct1","event":"e"}',
    headers: { ...auth, 'content-type': 'text/plain' },
    status: 415,
    customer: 'h-ct1',
  },
  {
    name: 'a form post',
    path: '/v1/track',
    body: 'userId=h-ct2&event=e',
    headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    customer: 'h-ct2',
  },
  {
    name: 'multipart',
    path: '/v1/identify',
    body: '--x\r\nContent-Disposition: form-data; name="userId"\r\n\r\nh-ct3\r\n--x--\r\n',
    headers: { ...auth, 'content-type': 'multipart/form-data; boundary=x' },
    status: 415,
    customer: 'h-ct3',
  },
];

describe('the ingest API refuses hostile requests and stores nothing', () => {
  test.each(attacks.map((a) => [a.name, a] as const))('%s', async (_name, a) => {
    const res = await ingest(a.path, a.body, a.headers);
    expect({ status: res.status, body: res.text.slice(0, 300) }).toEqual({ status: a.status, body: expect.anything() });
    expect(JSON.parse(res.text)).toMatchObject({ error: expect.any(String), message: expect.any(String), issues: expect.any(Array) });
    expect(await exists(a.customer)).toBe(false);
  });

  test('an unknown event name is accepted (Segment sends any name) and starts nothing', async () => {
    const res = await ingest('/v1/track', '{"userId":"h-unknown","event":"no.such.event","messageId":"h-unknown-1","properties":{"a":1}}');
    expect(res.status).toBe(200);
    const handle = engine.client.workflow.getHandle(customerWorkflowId('h-unknown'));
    await until('the event on the customer', async () => (await handle.query(stateQuery)).eventsReceived === 1, 20_000);
    expect((await handle.query(stateQuery)).journeys).toEqual({});
  });

  test('timestamps far in the past or future are informational: accepted, and the journey runs on the engine clock', async () => {
    for (const [id, timestamp] of [
      ['h-past', '0001-01-01T00:00:00Z'],
      ['h-future', '9999-12-31T23:59:59.999+14:00'],
    ]) {
      const res = await ingest(
        '/v1/batch',
        JSON.stringify({
          batch: [
            { type: 'identify', userId: id, traits: { email: `${id}@hostile.example` }, timestamp },
            { type: 'track', userId: id, event: 'user.signed_up', properties: { plan: 'pro' }, timestamp },
          ],
        }),
      );
      expect(res.status).toBe(200);
      // The welcome mail goes out now, not in year 1 or 9999.
      await smtp.waitFor((m) => JSON.stringify(m.to).includes(`${id}@hostile.example`), 30_000);
    }
  });

  test('405 for other methods, 404 for other paths, 431 for a 64 KB header', async () => {
    expect((await send('GET', '/v1/track', auth)).status).toBe(405);
    expect((await send('DELETE', '/v1/batch', auth)).status).toBe(405);
    expect((await send('GET', '/v1/../etc/passwd', auth)).status).toBe(404);
    expect((await send('POST', '/v1/track/../../admin', { ...auth, ...json }, '{}')).status).toBe(404);
    expect((await send('POST', '/v1/track', { ...json, authorization: `Bearer ${'k'.repeat(64 * 1024)}` }, '{}')).status).toBe(431);
  });
});

// ---- the preference centre and one-click unsubscribe --------------------------------------------------

describe('forged preference and unsubscribe links change nothing', () => {
  const real = () => signPreferenceToken(PREFERENCES_SECRET, { customerId: VICTIM, scope: 'preferences' });
  const [payload, signature] = signPreferenceToken(PREFERENCES_SECRET, { customerId: VICTIM, scope: 'preferences' }).split('.');
  const forgedPayload = Buffer.from(JSON.stringify({ v: 2, sub: VICTIM, exp: 4102444800, scope: 'preferences', gen: 0 })).toString('base64url');
  const tokens: Array<[string, string, number]> = [
    ['signed with another secret', signPreferenceToken('some-other-secret-0123456789', { customerId: VICTIM, scope: 'preferences' }), 403],
    [
      "another customer in the payload, the victim's signature",
      `${Buffer.from(JSON.stringify({ v: 2, sub: 'someone-else', exp: 4102444800, scope: 'preferences', gen: 0 })).toString('base64url')}.${signature}`,
      403,
    ],
    ['a later expiry, the old signature', `${forgedPayload}.${signature}`, 403],
    ['the signature cut short', `${payload}.${signature.slice(0, 20)}`, 403],
    ['no signature', `${payload}.`, 400],
    ['"alg: none" style', `${payload}`, 400],
    ['expired', signPreferenceToken(PREFERENCES_SECRET, { customerId: VICTIM, scope: 'preferences', exp: 1_000_000 }), 410],
    ['signed, for a customer that does not exist', signPreferenceToken(PREFERENCES_SECRET, { customerId: 'h-nobody', scope: 'preferences' }), 404],
    ['2,000 characters of junk', 'A'.repeat(2000), 400],
    ['path traversal', '..%2F..%2Fv1%2Ftrack', 400],
  ];

  test.each(tokens)('%s', async (_name, token, status) => {
    const before = await victimState();
    const page = `/preferences/${token}`;
    expect((await send('GET', page)).status).toBe(status);
    const saved = await send('POST', page, formHeaders, form({ form: 'preferences', email: 'on' }));
    expect(saved.status).toBe(status);
    expect(saved.text).not.toContain('Your preferences are saved');
    // The unsubscribe page itself looks nothing up (a GET changes nothing): a real token shows it.
    expect((await send('GET', `/unsubscribe/${token}`)).status).toBe(status === 404 ? 200 : status);
    expect((await send('POST', `/unsubscribe/${token}`, formHeaders, 'List-Unsubscribe=One-Click')).status).toBe(status);
    expect(await victimState()).toBe(before);
    expect(await exists('h-nobody')).toBe(false);
  });

  test('a token longer than the router takes: 414; hostile form fields on a real link: safe', async () => {
    expect((await send('GET', `/preferences/${'A'.repeat(5000)}`)).status).toBe(414);
    const before = await victimState();
    // No form marker, a poisoned field name: refused, nothing changes.
    const poisoned = await send('POST', `/preferences/${real()}`, formHeaders, '__proto__[polluted]=1&constructor[prototype][polluted]=1&sms=');
    expect(poisoned.status).toBe(400);
    expect(await victimState()).toBe(before);
    // A form of 100 KB: 413, nothing changes.
    expect((await send('POST', `/preferences/${real()}`, formHeaders, `form=preferences&x=${'x'.repeat(100_000)}`)).status).toBe(413);
    expect(await victimState()).toBe(before);
  });
});

// ---- Twilio webhooks ----------------------------------------------------------------------------------

describe('forged Twilio webhooks change nothing', () => {
  const stop = {
    MessageSid: 'SM0000000000000000000000000000f00d',
    From: PHONE,
    To: '+15005550006',
    Body: 'STOP',
    AccountSid: 'AC0123456789abcdef0123456789abcdef',
  };
  const status = { MessageSid: 'SM0000000000000000000000000000beef', MessageStatus: 'failed', ErrorCode: '21610', To: PHONE };
  const cases: Array<[string, string, Record<string, string>, Record<string, string>, string]> = [
    ['no signature', '/webhooks/twilio/sms', stop, formHeaders, ''],
    ['a signature of junk', '/webhooks/twilio/sms', stop, { ...formHeaders, 'x-twilio-signature': 'Zm9yZ2VkIHNpZ25hdHVyZQ==' }, ''],
    [
      'signed with another auth token',
      '/webhooks/twilio/sms',
      stop,
      { ...formHeaders, 'x-twilio-signature': twilioSignature(`${PUBLIC_URL}/webhooks/twilio/sms`, stop, 'another-token') },
      '',
    ],
    [
      'signed for another URL',
      '/webhooks/twilio/sms',
      stop,
      { ...formHeaders, 'x-twilio-signature': twilioSignature('https://evil.example/webhooks/twilio/sms', stop) },
      '',
    ],
    [
      'signed for HELP, sent as STOP',
      '/webhooks/twilio/sms',
      stop,
      { ...formHeaders, 'x-twilio-signature': twilioSignature(`${PUBLIC_URL}/webhooks/twilio/sms`, { ...stop, Body: 'HELP' }) },
      '',
    ],
    [
      'signed, with a query string added',
      '/webhooks/twilio/sms',
      stop,
      { ...formHeaders, 'x-twilio-signature': twilioSignature(`${PUBLIC_URL}/webhooks/twilio/sms`, stop) },
      '?Body=START',
    ],
    ['a 21610 status callback, unsigned', '/webhooks/twilio/status', status, formHeaders, ''],
    [
      'a status callback signed for the sms route',
      '/webhooks/twilio/status',
      status,
      { ...formHeaders, 'x-twilio-signature': twilioSignature(`${PUBLIC_URL}/webhooks/twilio/sms`, status) },
      '',
    ],
    ['JSON instead of a form, unsigned', '/webhooks/twilio/sms', stop, { 'content-type': 'application/json', 'x-twilio-signature': 'Zm9yZ2Vk' }, ''],
  ];
  test.each(cases)('%s: 403 (or 415), SMS consent unchanged', async (_name, path, params, headers, query) => {
    const before = await victimState();
    const body = headers['content-type'] === 'application/json' ? JSON.stringify(params) : form(params);
    const res = await send('POST', `${path}${query}`, headers, body);
    expect([403, 415]).toContain(res.status);
    expect(await victimState()).toBe(before);
  });

  test('a signed request with poisoned field names and a 100 KB body', async () => {
    const before = await victimState();
    // Own fields named __proto__ and constructor (Object.fromEntries makes them own properties).
    const params: Record<string, string> = Object.fromEntries([
      ...Object.entries({ ...stop, Body: 'hello' }),
      ['__proto__', 'polluted'],
      ['constructor', 'polluted'],
    ]);
    expect(form(params)).toContain('__proto__=polluted');
    const res = await send(
      'POST',
      '/webhooks/twilio/sms',
      { ...formHeaders, 'x-twilio-signature': twilioSignature(`${PUBLIC_URL}/webhooks/twilio/sms`, params) },
      form(params),
    );
    expect(res.status).toBeLessThan(500);
    const big = { ...stop, Body: 'x'.repeat(100_000) };
    expect(
      (
        await send(
          'POST',
          '/webhooks/twilio/sms',
          { ...formHeaders, 'x-twilio-signature': twilioSignature(`${PUBLIC_URL}/webhooks/twilio/sms`, big) },
          form(big),
        )
      ).status,
    ).toBe(413);
    // Consent unchanged (a "hello" text may be tracked as an event: that is what a real text does).
    expect(JSON.parse(await victimState()).consent).toEqual(JSON.parse(before).consent);
  });
});

// ---- the codec endpoint, health, metrics, the document ----------------------------------------------------

describe('the codec endpoint and the open endpoints', () => {
  const payloads = JSON.stringify({
    payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"a":1}').toString('base64') }],
  });
  test.each([
    ['no token', {}, payloads, 401],
    ['a wrong token', { authorization: 'Bearer hostile-codec-token-012345678X' }, payloads, 401],
    ['the write key as the token', { authorization: `Bearer ${KEY}` }, payloads, 401],
    ['another namespace', { authorization: `Bearer ${CODEC_TOKEN}`, 'x-namespace': 'other' }, payloads, 403],
    ['a foreign origin', { authorization: `Bearer ${CODEC_TOKEN}`, origin: 'https://evil.example' }, payloads, 403],
    ['not base64', { authorization: `Bearer ${CODEC_TOKEN}` }, '{"payloads":[{"data":"***"}]}', 400],
    ['__proto__', { authorization: `Bearer ${CODEC_TOKEN}` }, '{"payloads":[{"__proto__":{"polluted":true}}]}', 400],
    ['5 MB', { authorization: `Bearer ${CODEC_TOKEN}` }, `{"payloads":[{"data":"${'A'.repeat(5 * 1024 * 1024)}"}]}`, 413],
  ] as Array<[string, Record<string, string>, string, number]>)('/codec/decode with %s', async (_name, headers, body, status) => {
    expect((await send('POST', '/codec/decode', { ...json, ...headers }, body)).status).toBe(status);
  });

  test('/healthz, /metrics and /openapi.json: long queries, other methods, poisoned bodies', async () => {
    expect((await send('GET', `/healthz?${'x'.repeat(4000)}=1`)).status).toBe(200);
    expect((await send('POST', '/metrics', json, '{"__proto__":{}}')).status).toBe(405);
    // A GET body is ignored, or refused when it is poisoned JSON (chunked): never a 5xx.
    expect([200, 400]).toContain((await send('GET', '/openapi.json', { 'content-type': 'application/json' }, '{"__proto__":{"polluted":true}}')).status);
    expect((await send('GET', '/openapi.json')).status).toBe(200);
  });
});

afterAll(() => {
  // Nothing reached a prototype in this process (the API ran in it).
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
  const byStatus = seen.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
  reliabilityLine(
    `hostile input: ${seen.length} requests (${attacks.length} ingest attacks, forged links and signatures, codec, open endpoints): ` +
      `${Object.entries(byStatus)
        .map(([s, n]) => `${s}×${n}`)
        .join(', ')}; 5xx ${seen.filter((s) => s >= 500).length}`,
  );
});
