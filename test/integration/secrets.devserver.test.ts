// Secrets and personal data never appear in the logs. The API and the worker run as their own processes
// (api/main.ts, worker/main.ts, as `npm start` and production run them) with everything they print captured.
// A customer with a distinctive email address and phone number is driven through them with the write key,
// along the paths that log: a Twilio 500 and a 21211 (not a valid number), an SMTP server that refuses the
// address once (451) and names it in its answer, the preference centre, signed and forged Twilio webhooks,
// wrong write keys that contain the real one. Then the captured output is searched: neither the email
// address (nor its local part), the phone number (with or without "+") nor the write key may appear.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signPreferenceToken } from '../../preferences/token';
import { startApiProcess, type ApiProcess } from '../../harness/apiProcess';
import { postJson, reliabilityLine, until } from '../helpers/faults';
import { startPrism, twilioError, type PrismServer } from '../helpers/prism';
import { TEST_PAYLOAD_KEYS } from '../helpers/privacy';
import { startSmtpSink, type SmtpSink } from '../../harness/smtpSink';
import { freePort, startTemporalProcess, type TemporalProcess } from '../../harness/temporalProcess';
import { startWorkerProcess, type WorkerProcess } from '../../harness/workerProcess';

const KEY = 'wk_LEAKCANARY_7f3a9c2e51d8b4';
const LOCAL_PART = 'zoe.leakcanary.5521';
const EMAIL = `${LOCAL_PART}@privacy-check.example`;
const PHONE = '+14155557319';
const PREFERENCES_SECRET = 'secrets-test-preferences-0123456789';
const TWILIO_TOKEN = 'secrets-test-twilio-auth-token';
const CUSTOMER = 'leak-check-1';

let tmp: string;
let temporal: TemporalProcess;
let smtp: SmtpSink;
let prism: PrismServer;
let worker: WorkerProcess;
let api: ApiProcess;
let publicUrl: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'omnijourney-secrets-'));
  let refusedOnce = false;
  [temporal, smtp, prism] = await Promise.all([
    startTemporalProcess(join(tmp, 'temporal.sqlite')),
    // A relay that defers the first delivery to the address and names it, as real ones do.
    startSmtpSink(0, {
      rejectRecipient: (address) => {
        if (address !== EMAIL || refusedOnce) return undefined;
        refusedOnce = true;
        return { code: 451, message: `4.7.1 <${address}>: Recipient address rejected: greylisted, try again later` };
      },
    }),
    startPrism(),
  ]);
  // Twilio: the first text to the number fails with a 500, the second goes through, every later one is a 21211.
  // Twilio's messages name the number, as the real ones do.
  let calls = 0;
  prism.inject((_r, form) => {
    if (form.get('To') !== PHONE) return undefined;
    calls += 1;
    if (calls === 1) return twilioError(500, 20500, `Internal error while sending to ${PHONE}`);
    if (calls === 2) return undefined;
    return twilioError(400, 21211, `The 'To' number ${PHONE} is not a valid phone number.`);
  });
  const apiPort = await freePort();
  publicUrl = `http://127.0.0.1:${apiPort}`;
  const common = {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: 'secrets',
    OMNIJOURNEY_DATA_DIR: join(tmp, 'data'),
    PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    PUBLIC_URL: publicUrl,
    PREFERENCES_SECRET,
    TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_FROM: '+15005550006',
    TWILIO_API_BASE_URL: prism.url,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    QUIET_HOURS: 'off',
    WORKER_METRICS_PORT: '0',
  };
  [worker, api] = await Promise.all([
    startWorkerProcess(common),
    startApiProcess({ ...common, API_PORT: String(apiPort), API_WRITE_KEYS: KEY, API_TEMPORAL_TIMEOUT_MS: '3000' }),
  ]);
}, 180_000);

afterAll(async () => {
  await api?.stop();
  await worker?.kill('SIGKILL');
  await temporal?.stop();
  await Promise.all([smtp?.close(), prism?.stop()]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function twilioSignature(url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', TWILIO_TOKEN).update(Buffer.from(data, 'utf-8')).digest('base64');
}

async function twilioWebhook(path: string, params: Record<string, string>, signature = twilioSignature(`${publicUrl}${path}`, params)): Promise<number> {
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  await res.text();
  return res.status;
}

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

test("the API and worker logs hold neither the write key nor the customer's email address or phone number", async () => {
  const identify = await postJson(
    api.url,
    '/v1/identify',
    { userId: CUSTOMER, traits: { email: EMAIL, phone: PHONE, firstName: 'Zoe' }, messageId: 'leak-identify' },
    KEY,
  );
  expect(identify.status).toBe(200);
  // SMS on, through the preference centre (the signed link of her mails).
  const token = signPreferenceToken(PREFERENCES_SECRET, { customerId: CUSTOMER, scope: 'preferences' });
  const saved = await fetch(`${api.url}/preferences/${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ form: 'preferences', email: 'on', sms: 'on', 'marketing-email': 'on', 'marketing-sms': 'on' }).toString(),
  });
  expect(saved.status).toBe(200);
  expect(await saved.text()).toContain('Text messages (SMS): on');

  // A welcome mail (the relay defers it once), a booking whose pre-trip text meets a Twilio 500 and then goes out.
  expect(
    (await postJson(api.url, '/v1/track', { userId: CUSTOMER, event: 'user.signed_up', properties: { plan: 'pro' }, messageId: 'leak-signup' }, KEY)).status,
  ).toBe(200);
  expect(
    (
      await postJson(
        api.url,
        '/v1/track',
        {
          userId: CUSTOMER,
          event: 'booking.completed',
          properties: { bookingId: 'bk-1', destination: 'Lisbon', departDate: inDays(3) },
          messageId: 'leak-bk-1',
        },
        KEY,
      )
    ).status,
  ).toBe(200);
  await until(
    'the pre-trip text through Twilio',
    () => prism.recorded.some((r) => r.status === 201),
    60_000,
    () => JSON.stringify(prism.recorded.map((r) => r.status)),
  );
  // A second booking: Twilio says 21211, the email fallback goes out.
  expect(
    (
      await postJson(
        api.url,
        '/v1/track',
        {
          userId: CUSTOMER,
          event: 'booking.completed',
          properties: { bookingId: 'bk-2', destination: 'Porto', departDate: inDays(4) },
          messageId: 'leak-bk-2',
        },
        KEY,
      )
    ).status,
  ).toBe(200);
  await until(
    'the welcome mail and the pre-trip fallback mail',
    () => smtp.mailsTo(EMAIL).length >= 2,
    60_000,
    () => smtp.mails.map((m) => m.subject).join(' | '),
  );

  // Wrong keys that contain the real one, and the key in the body (Segment's libraries used to send it there).
  for (const authorization of [`Bearer ${KEY}x`, `Bearer x${KEY}`, `Basic ${Buffer.from(`${KEY.slice(0, -1)}:${KEY}`).toString('base64')}`]) {
    const res = await fetch(`${api.url}/v1/track`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: CUSTOMER, event: 'x', traits: { email: EMAIL } }),
    });
    expect(res.status).toBe(401);
  }
  expect(
    (
      await postJson(
        api.url,
        '/v1/track',
        { userId: CUSTOMER, event: 'leak.probe', writeKey: KEY, properties: { email: EMAIL, phone: PHONE }, messageId: 'leak-probe' },
        KEY,
      )
    ).status,
  ).toBe(200);
  // A 400 that echoes personal data back to the caller (fine) must not log it.
  expect(
    (await postJson(api.url, '/v1/identify', { userId: CUSTOMER, traits: { email: EMAIL }, context: { timezone: `${EMAIL}/${PHONE}` } }, KEY)).status,
  ).toBe(400);
  // Twilio webhooks: a forged one from her number (403, logged as a warning) and a signed text from her.
  const text = {
    MessageSid: 'SM00000000000000000000000000005319',
    From: PHONE,
    To: '+15005550006',
    Body: `hi, it's ${EMAIL}`,
    AccountSid: 'AC0123456789abcdef0123456789abcdef',
  };
  expect(await twilioWebhook('/webhooks/twilio/sms', text, 'Zm9yZ2Vk')).toBe(403);
  expect(await twilioWebhook('/webhooks/twilio/sms', text)).toBe(200);
  expect(
    await twilioWebhook('/webhooks/twilio/status', {
      MessageSid: 'SMffffffffffffffffffffffffffffffff',
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
      To: PHONE,
    }),
  ).toBe(200);

  // Stop both so that everything they buffered is out, then search.
  await api.stop();
  await worker.kill('SIGTERM');
  const logs = { api: api.output(), worker: worker.output() };
  const needles = {
    'write key': KEY,
    email: EMAIL,
    'email local part': LOCAL_PART,
    phone: PHONE,
    'phone digits': PHONE.slice(1),
    'phone (national)': PHONE.slice(2),
  };
  const leaks: string[] = [];
  for (const [process, text] of Object.entries(logs)) {
    for (const [what, needle] of Object.entries(needles)) {
      for (const line of text.split('\n').filter((l) => l.includes(needle))) leaks.push(`${process} log has the ${what}: ${line.slice(0, 300)}`);
    }
  }
  reliabilityLine(
    `logs: API ${logs.api.split('\n').length} lines, worker ${logs.worker.split('\n').length} lines after Twilio 500 + 21211, SMTP 451, forged and signed webhooks, wrong keys: ${leaks.length} line(s) with the key, email or phone`,
  );
  expect(leaks).toEqual([]);
  // The paths that log were taken: the worker logged the failed attempts, the API the forged webhook.
  expect(logs.worker).toMatch(/Activity failed|Twilio/);
  expect(logs.api).toMatch(/X-Twilio-Signature/);
}, 240_000);
