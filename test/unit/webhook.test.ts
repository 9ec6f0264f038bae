// Webhook and Slack channels against a local HTTP receiver: the signature a receiver can check, the body,
// and what each HTTP answer means to the workflow (retry, or permanent → next channel).
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createSlackActivities } from '../../activities/slack';
import { createTemplateRenderer } from '../../activities/templates';
import { FailureTypes, type DeliverInput } from '../../domain/delivery';
import { createWebhookActivities, signWebhookPayload, verifyWebhookSignature } from '../../activities/webhook';
import { closedPortUrl, startHttpReceiver, type HttpReceiver } from '../helpers/httpReceiver';

const SECRET = 'whsec_test_0123456789abcdef';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const T = NOW / 1000;

let dir: string;
let receiver: HttpReceiver;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'omnijourney-webhook-'));
  mkdirSync(join(dir, 'shop'));
  writeFileSync(join(dir, 'shop/vip.webhook.liquid'), 'VIP {{ traits.firstName }} left {{ data.value }} in a cart\n');
  writeFileSync(
    join(dir, 'shop/vip.slack.liquid'),
    ':moneybag: *{{ traits.firstName }}* left *{{ data.value }}* in a cart. <https://crm.acme.test/c/{{ customer.id }}|Open in CRM>\n',
  );
  receiver = await startHttpReceiver();
});

afterAll(async () => {
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  receiver.requests.length = 0;
  receiver.answer = () => ({ status: 200, body: 'ok' });
});

function input(template: string, traits: Record<string, unknown> = { firstName: 'Ada' }): DeliverInput {
  return {
    idempotencyKey: 'journey:shop:c1:cart-9/1.2',
    customerId: 'c1',
    journey: 'shop',
    channel: 'webhook',
    to: 'webhook',
    template,
    topic: 'transactional',
    vars: { customer: { id: 'c1' }, traits, data: { cartId: 'cart-9', value: 420 }, journey: 'shop' },
  };
}

describe('Omnijourney-Signature', () => {
  const body = '{"id":"x","type":"journey.message"}';
  const header = signWebhookPayload(SECRET, body, T);

  test('is t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">, checkable without our code', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${body}`).digest('hex');
    expect(header).toBe(`t=${T},v1=${expected}`);
  });

  test('verifies with the right secret, the exact body, within the tolerance', () => {
    expect(verifyWebhookSignature(SECRET, header, body, 300, NOW)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, Buffer.from(body), 300, NOW + 299_000)).toBe(true);
  });

  test('fails with the wrong secret', () => {
    expect(verifyWebhookSignature('whsec_other_0123456789abcdef', header, body, 300, NOW)).toBe(false);
  });

  test('fails when the body was changed, even by one space', () => {
    expect(verifyWebhookSignature(SECRET, header, body.replace('x', 'y'), 300, NOW)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, body.replace(':', ': '), 300, NOW)).toBe(false);
  });

  test('fails when the timestamp is stale (a replay) or far in the future', () => {
    expect(verifyWebhookSignature(SECRET, header, body, 300, NOW + 301_000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, body, 300, NOW - 301_000)).toBe(false);
  });

  test('fails when the timestamp was changed to look fresh', () => {
    const v1 = header.split('v1=')[1];
    expect(verifyWebhookSignature(SECRET, `t=${T + 3600},v1=${v1}`, body, 300, NOW + 3600_000)).toBe(false);
  });

  test.each([undefined, '', 'garbage', `t=${T}`, `v1=${'a'.repeat(64)}`, `t=abc,v1=${'a'.repeat(64)}`, `t=${T},v1=XYZ`])(
    'fails on a malformed header %p',
    (h) => {
      expect(verifyWebhookSignature(SECRET, h, body, 300, NOW)).toBe(false);
    },
  );

  test('accepts a header with several v1 signatures when one matches (secret rotation)', () => {
    const other = signWebhookPayload('whsec_old_0123456789abcdef', body, T).split('v1=')[1];
    expect(verifyWebhookSignature(SECRET, `t=${T},v1=${other},${header.split(',')[1]}`, body, 300, NOW)).toBe(true);
  });
});

describe('webhook activity', () => {
  const send = (o: { url?: string; timeoutMs?: number } = {}) =>
    createWebhookActivities({
      url: o.url ?? `${receiver.url}/hooks/omnijourney?token=abc`,
      secret: SECRET,
      renderer: createTemplateRenderer({ dir }),
      timeoutMs: o.timeoutMs,
      now: () => NOW,
    }).sendWebhook;

  test('POSTs the signed JSON body with the idempotency key; the rendered webhook template is its text', async () => {
    const out = await send()(input('shop/vip'));
    expect(out.providerId).toBe('webhook:journey:shop:c1:cart-9/1.2');
    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks/omnijourney?token=abc');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['idempotency-key']).toBe('journey:shop:c1:cart-9/1.2');
    expect(verifyWebhookSignature(SECRET, req.headers['omnijourney-signature'] as string, req.rawBody, 300, NOW)).toBe(true);
    expect(JSON.parse(req.rawBody)).toEqual({
      id: 'journey:shop:c1:cart-9/1.2',
      type: 'journey.message',
      customerId: 'c1',
      journey: 'shop',
      template: 'shop/vip',
      topic: 'transactional',
      data: { cartId: 'cart-9', value: 420 },
      text: 'VIP Ada left 420 in a cart',
    });
  });

  test('a template without a webhook version still sends, without text', async () => {
    await send()(input('shop/no-such-template'));
    const body = JSON.parse(receiver.requests[0].rawBody);
    expect(body).not.toHaveProperty('text');
    expect(body.template).toBe('shop/no-such-template');
  });

  test('an invalid template id is still an error, not a silent send', async () => {
    await expect(send()(input('../etc/passwd'))).rejects.toMatchObject({ type: FailureTypes.TemplateNotFound });
    expect(receiver.requests).toHaveLength(0);
  });

  test.each([500, 502, 503, 408])('HTTP %i: retryable', async (status) => {
    receiver.answer = () => ({ status, body: 'upstream down' });
    const err = await send()(input('shop/vip')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ nonRetryable: false, message: expect.stringContaining(`HTTP ${status}: upstream down`) });
  });

  test('429 with Retry-After: retryable, and the next attempt waits as the receiver asked', async () => {
    receiver.answer = () => ({ status: 429, body: 'slow down', headers: { 'Retry-After': '30' } });
    const err = (await send()(input('shop/vip')).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err.nonRetryable).toBe(false);
    expect(err.nextRetryDelay).toBe(30_000);
  });

  test.each([400, 401, 404, 410, 422])('HTTP %i: permanent (the workflow moves to the next channel)', async (status) => {
    receiver.answer = () => ({ status, body: { error: 'no' } });
    await expect(send()(input('shop/vip'))).rejects.toMatchObject({
      type: FailureTypes.PermanentDelivery,
      nonRetryable: true,
      message: expect.stringContaining(`HTTP ${status}`),
    });
  });

  test('a redirect is a configuration error (a POST must not turn into a GET elsewhere)', async () => {
    receiver.answer = () => ({ status: 301, body: '', headers: { Location: 'https://elsewhere.example/hook' } });
    await expect(send()(input('shop/vip'))).rejects.toMatchObject({
      type: FailureTypes.PermanentDelivery,
      message: expect.stringContaining('https://elsewhere.example'),
    });
    expect(receiver.requests).toHaveLength(1);
  });

  test('connection refused and timeouts: retryable; errors never show the URL path or query (they may hold tokens)', async () => {
    const refused = (await send({ url: `${await closedPortUrl()}/secret-path?token=abc` })(input('shop/vip')).catch((e: unknown) => e)) as ApplicationFailure;
    expect(refused).toMatchObject({ nonRetryable: false, message: expect.stringContaining('ECONNREFUSED') });
    expect(refused.message).not.toMatch(/secret-path|token=abc/);

    receiver.answer = () => 'hang';
    const started = Date.now();
    const slow = (await send({ timeoutMs: 300 })(input('shop/vip')).catch((e: unknown) => e)) as ApplicationFailure;
    expect(slow).toMatchObject({ nonRetryable: false, message: expect.stringContaining('did not answer within 300 ms') });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('Slack activity', () => {
  const send = () => createSlackActivities({ url: `${receiver.url}/services/T000/B000/XXXXSECRET`, renderer: createTemplateRenderer({ dir }) }).sendSlack;

  test('posts text plus blocks: a mrkdwn section from the template and a context naming journey and customer', async () => {
    const out = await send()({ ...input('shop/vip'), channel: 'slack', to: 'slack' });
    expect(out.providerId).toBe('slack:journey:shop:c1:cart-9/1.2');
    const body = JSON.parse(receiver.requests[0].rawBody);
    const text = ':moneybag: *Ada* left *420* in a cart. <https://crm.acme.test/c/c1|Open in CRM>';
    expect(body).toEqual({
      text,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Journey *shop* · customer `c1` · shop/vip' }] },
      ],
    });
  });

  test('values from traits cannot ping the channel or add links', async () => {
    await send()({ ...input('shop/vip', { firstName: '<!channel> <https://evil.example|click>' }), channel: 'slack', to: 'slack' });
    const { text } = JSON.parse(receiver.requests[0].rawBody);
    expect(text).toContain('*&lt;!channel&gt; &lt;https://evil.example|click&gt;*');
    expect(text).toContain('<https://crm.acme.test/c/c1|Open in CRM>'); // the template's own link stays a link
  });

  test('Slack refusing the payload (400 invalid_blocks) is permanent; 500 is retried; the webhook URL is not in the error', async () => {
    receiver.answer = () => ({ status: 400, body: 'invalid_blocks' });
    const bad = (await send()({ ...input('shop/vip'), channel: 'slack', to: 'slack' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(bad).toMatchObject({ type: FailureTypes.PermanentDelivery, message: expect.stringContaining('invalid_blocks') });
    expect(bad.message).not.toContain('XXXXSECRET');
    receiver.answer = () => ({ status: 500, body: 'rollup_error' });
    await expect(send()({ ...input('shop/vip'), channel: 'slack', to: 'slack' })).rejects.toMatchObject({ nonRetryable: false });
  });

  test('a missing Slack template fails permanently and names the file to create', async () => {
    await expect(send()({ ...input('shop/nothing'), channel: 'slack', to: 'slack' })).rejects.toMatchObject({
      type: FailureTypes.TemplateNotFound,
      message: expect.stringContaining('shop/nothing.slack.liquid'),
    });
  });
});
