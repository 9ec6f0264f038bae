// The ingest API end to end: a real HTTP client (fetch) against the API listening on a port, in front of a
// real Temporal dev server (its own process on a SQLite file, so the last test can take it down and bring
// it back) and a real worker. Events are checked where they land: the customer workflow's queries.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createDeliveryActivities } from '../../activities/delivery';
import { ApiMetrics } from '../../api/metrics';
import { LIMITS } from '../../api/schemas';
import { deadlineBoundRetry } from '../../client/deadline';
import { buildServer } from '../../api/server';
import { loadConfig, type Config } from '../../config/config';
import { createEngineWorker } from '../../worker/createWorker';
import { customerWorkflowId, profileQuery, stateQuery } from '../../domain/messages';
import { sharedBundle } from '../helpers/engine';
import { eventually } from '../helpers/eventually';
import { startTemporalProcess, type TemporalProcess } from '../../harness/temporalProcess';

const KEY = 'wk_test_primary_0123456789';
const KEY2 = 'wk_test_second_0123456789';
const TIMEOUT_MS = 3000;
const taskQueue = `api-${process.pid}`;

let tmp: string;
let temporal: TemporalProcess;
let worker: { stop(): Promise<void> };
let connection: Connection;
let client: Client;
let config: Config;
let app: FastifyInstance;
let url: string;

async function startWorker(): Promise<{ stop(): Promise<void> }> {
  const nc = await NativeConnection.connect({ address: temporal.address });
  const w = await createEngineWorker({
    connection: nc,
    namespace: 'default',
    taskQueue,
    activities: createDeliveryActivities({}),
    workflowBundle: await sharedBundle(),
  });
  const running = w.run();
  return {
    async stop() {
      w.shutdown();
      await running;
      await nc.close();
    },
  };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'omnijourney-api-'));
  temporal = await startTemporalProcess(join(tmp, 't.sqlite'));
  worker = await startWorker();
  connection = Connection.lazy({ address: temporal.address, interceptors: [deadlineBoundRetry()] }); // as api/main.ts
  client = new Client({ connection, namespace: 'default' });
  config = loadConfig({ API_WRITE_KEYS: `${KEY},${KEY2}`, API_TEMPORAL_TIMEOUT_MS: String(TIMEOUT_MS) });
  app = buildServer({ client, taskQueue, api: config.api, engine: config.engine, metrics: new ApiMetrics() });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await worker?.stop().catch(() => undefined);
  await connection?.close();
  await temporal?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ---- helpers ----------------------------------------------------------------------------------------

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

interface Res {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of many shapes, checked by the tests
  body: any;
  ms: number;
}

async function call(
  path: string,
  init: { body?: unknown; raw?: string; authorization?: string | null; contentType?: string | null; base?: string } = {},
): Promise<Res> {
  const headers: Record<string, string> = {};
  const authorization = init.authorization === undefined ? basic(KEY) : init.authorization;
  if (authorization) headers.authorization = authorization;
  const contentType = init.contentType === undefined ? 'application/json' : init.contentType;
  if (contentType) headers['content-type'] = contentType;
  const hasBody = init.body !== undefined || init.raw !== undefined;
  const started = Date.now();
  const res = await fetch(`${init.base ?? url}${path}`, {
    method: hasBody ? 'POST' : 'GET',
    headers,
    body: hasBody ? (init.raw ?? JSON.stringify(init.body)) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // /metrics is text
  }
  return { status: res.status, headers: res.headers, body, ms: Date.now() - started };
}

const profile = (customerId: string) => client.workflow.getHandle(`customer:${customerId}`).query(profileQuery);

/** Polls the customer until `done` holds (signals are applied by the worker shortly after they are accepted). */
async function profileWhen(customerId: string, done: (p: Awaited<ReturnType<typeof profile>>) => boolean, timeoutMs = 20_000) {
  let p: Awaited<ReturnType<typeof profile>> | undefined;
  return eventually(
    `customer:${customerId} to match`,
    async () => {
      p = await profile(customerId).catch(() => undefined);
      return p && done(p) ? p : undefined;
    },
    { timeoutMs, intervalMs: 100, detail: () => `last profile: ${JSON.stringify(p)}` },
  );
}

const ids = (p: { recentEvents: Array<{ messageId: string }> }) => p.recentEvents.map((e) => e.messageId);

async function exists(customerId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(`customer:${customerId}`).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

// ---- tests ------------------------------------------------------------------------------------------

test('200: track, identify and a Segment-style batch land on the customers, in order, with traits and timezone', async () => {
  const identify = await call('/v1/identify', {
    body: { userId: 'ada', traits: { email: 'ada@example.com', firstName: 'Ada' }, messageId: 'ada-1', context: { timezone: 'Europe/London' } },
  });
  expect(identify.status).toBe(200);
  expect(identify.body).toEqual({ success: true, messageId: 'ada-1' });

  // Bearer auth; no messageId: the API makes one and returns it.
  const track = await call('/v1/track', { authorization: `Bearer ${KEY2}`, body: { userId: 'ada', event: 'api.page_viewed', properties: { path: '/' } } });
  expect(track.status).toBe(200);
  expect(track.body.messageId).toMatch(/^[0-9a-f-]{36}$/);

  const batch = await call('/v1/batch', {
    body: {
      batch: [
        { type: 'identify', userId: 'grace', traits: { email: 'grace@example.com', plan: 'pro' }, messageId: 'g-1', timestamp: '2026-01-05T09:00:00Z' },
        { type: 'track', userId: 'grace', event: 'api.project_created', properties: { projectId: 'p-1' }, messageId: 'g-2' },
        { type: 'track', anonymousId: 'anon-1', event: 'api.page_viewed', messageId: 'anon-1-1', integrations: { All: true } },
        { type: 'track', userId: 'grace', event: 'api.project_shared', messageId: 'g-3' },
      ],
      context: { timezone: 'America/New_York' },
      sentAt: '2026-01-05T09:00:01Z',
    },
  });
  expect(batch.status).toBe(200);
  expect(batch.body).toEqual({ success: true, messageIds: ['g-1', 'g-2', 'anon-1-1', 'g-3'] });

  const ada = await profileWhen('ada', (p) => p.recentEvents.length === 2);
  expect(ids(ada)).toEqual(['ada-1', track.body.messageId]);
  expect(ada.recentEvents.map((e) => e.name)).toEqual(['identify', 'api.page_viewed']);
  expect(ada.traits).toMatchObject({ email: 'ada@example.com', firstName: 'Ada' });
  expect(ada.identities).toMatchObject({ email: 'ada@example.com', timezone: 'Europe/London' });

  const grace = await profileWhen('grace', (p) => p.recentEvents.length === 3);
  expect(grace.recentEvents.map((e) => `${e.messageId}:${e.name}`)).toEqual(['g-1:identify', 'g-2:api.project_created', 'g-3:api.project_shared']);
  expect(grace.traits).toMatchObject({ email: 'grace@example.com', plan: 'pro' });
  expect(grace.identities.timezone).toBe('America/New_York');
  // A customer's events of one request are one signal (one history event, one billable action), in order.
  const history = await client.workflow.getHandle(customerWorkflowId('grace')).fetchHistory();
  const signals = (history.events ?? []).flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
  expect(signals).toEqual(['events']);

  expect(ids(await profileWhen('anon-1', (p) => p.recentEvents.length === 1))).toEqual(['anon-1-1']);
});

test('400 names the field; a batch with one bad event accepts none of it', async () => {
  const missing = await call('/v1/track', { body: { userId: 'x1', properties: { a: 1 } } });
  expect(missing.status).toBe(400);
  expect(missing.body).toMatchObject({ error: 'invalid_request', issues: [{ path: 'event', message: 'required' }] });
  expect(missing.body.message).toContain('event: required');

  const noId = await call('/v1/identify', { body: { traits: { email: 'x@example.com' } } });
  expect(noId.status).toBe(400);
  expect(noId.body.issues).toEqual([{ path: 'userId', message: 'userId or anonymousId is required' }]);

  const batch = Array.from({ length: 5 }, (_, i) => ({ type: 'track', userId: `half-${i}`, event: 'api.page_viewed', messageId: `half-${i}` }));
  delete (batch[3] as { event?: string }).event;
  const bad = await call('/v1/batch', { body: { batch } });
  expect(bad.status).toBe(400);
  expect(bad.body.issues).toEqual([{ path: 'batch.3.event', message: 'required' }]);
  for (let i = 0; i < 5; i++) expect(await exists(`half-${i}`)).toBe(false);

  const page = await call('/v1/batch', { body: { batch: [{ type: 'page', userId: 'half-0', name: 'Home' }] } });
  expect(page.status).toBe(400);
  expect(page.body.issues[0].path).toBe('batch.0.type');

  const tz = await call('/v1/track', { body: { userId: 'x1', event: 'e', context: { timezone: 'Mars/Olympus' } } });
  expect(tz.body.issues).toEqual([{ path: 'context.timezone', message: expect.stringContaining('IANA') }]);
  expect(await exists('x1')).toBe(false);
});

test('400 on malformed JSON, 415 on a non-JSON content type', async () => {
  const malformed = await call('/v1/track', { raw: '{"userId": "ada", "event": ' });
  expect(malformed.status).toBe(400);
  expect(malformed.body).toMatchObject({ error: 'invalid_request', issues: [{ path: '', message: 'body is not valid JSON' }] });
  expect(malformed.body.message).toMatch(/malformed JSON/);

  const empty = await call('/v1/track', { raw: '' });
  expect(empty.status).toBe(400);

  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', null]) {
    const res = await call('/v1/track', { raw: JSON.stringify({ userId: 'ada', event: 'e' }), contentType });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ error: 'unsupported_media_type', issues: [{ path: 'headers.content-type' }] });
  }
});

test('401 without a write key or with a wrong one, before the body is looked at', async () => {
  const none = await call('/v1/track', { authorization: null, body: { userId: 'ada', event: 'e' } });
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
  expect(none.body).toMatchObject({ error: 'unauthorized', issues: [{ path: 'headers.authorization', message: 'required' }] });

  for (const authorization of [basic('wk_wrong_0123456789abcdef'), `Bearer ${KEY}x`, `Basic ${Buffer.from(`:${KEY}`).toString('base64')}`]) {
    const res = await call('/v1/batch', { authorization, raw: 'not even json', contentType: 'text/plain' });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthorized');
  }
});

test('413 over the limits: 32 KB per event, 100 events and 500 KB per batch', async () => {
  const bigProps = { blob: 'x'.repeat(LIMITS.eventBytes) };
  const single = await call('/v1/track', { body: { userId: 'big', event: 'e', properties: bigProps } });
  expect(single.status).toBe(413);
  expect(single.body.error).toBe('payload_too_large');

  const many = await call('/v1/batch', {
    body: { batch: Array.from({ length: 101 }, (_, i) => ({ type: 'track', userId: 'big', event: 'e', messageId: `b${i}` })) },
  });
  expect(many.status).toBe(413);
  expect(many.body.issues).toEqual([{ path: 'batch', message: '101 events; the limit is 100' }]);

  const oneBig = await call('/v1/batch', {
    body: {
      batch: [
        { type: 'track', userId: 'big', event: 'e' },
        { type: 'track', userId: 'big', event: 'e', properties: bigProps },
      ],
    },
  });
  expect(oneBig.status).toBe(413);
  expect(oneBig.body.issues).toEqual([{ path: 'batch.1', message: expect.stringContaining('the limit is 32 KB per event') }]);

  const huge = await call('/v1/batch', {
    body: { batch: Array.from({ length: 20 }, () => ({ type: 'track', userId: 'big', event: 'e', properties: { blob: 'y'.repeat(30 * 1024) } })) },
  });
  expect(huge.status).toBe(413);
  expect(await exists('big')).toBe(false);
});

test('a retried messageId is counted once', async () => {
  const event = { userId: 'dup', event: 'api.order_completed', messageId: 'dup-1', properties: { total: 10 } };
  expect((await call('/v1/track', { body: event })).status).toBe(200);
  expect((await call('/v1/track', { body: event })).status).toBe(200);
  expect((await call('/v1/batch', { body: { batch: [{ type: 'track', ...event }] } })).status).toBe(200);
  expect((await call('/v1/track', { body: { ...event, messageId: 'dup-2' } })).status).toBe(200);
  // Signals are applied in order, so once dup-2 is there every retry of dup-1 has been seen.
  const p = await profileWhen('dup', (x) => ids(x).includes('dup-2'));
  expect(ids(p)).toEqual(['dup-1', 'dup-2']);
  expect((await client.workflow.getHandle('customer:dup').query(stateQuery)).eventsReceived).toBe(2);
});

test('429 per write key over its rate, with Retry-After; the refused request accepts nothing', async () => {
  const limited = buildServer({ client, taskQueue, api: { ...config.api, rateLimit: { perSecond: 0.2, burst: 2 } }, engine: config.engine });
  const base = await limited.listen({ port: 0, host: '127.0.0.1' });
  try {
    const two = await call('/v1/batch', {
      base,
      body: {
        batch: [
          { type: 'track', userId: 'rl', event: 'api.ping', messageId: 'rl-1' },
          { type: 'track', userId: 'rl', event: 'api.ping', messageId: 'rl-2' },
        ],
      },
    });
    expect(two.status).toBe(200);
    const third = await call('/v1/track', { base, body: { userId: 'rl', event: 'api.ping', messageId: 'rl-3' } });
    expect(third.status).toBe(429);
    // One token missing at 0.2/s: about 5 s (less by the time the first request took).
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(4);
    expect(Number(third.headers.get('retry-after'))).toBeLessThanOrEqual(5);
    expect(third.body).toMatchObject({ error: 'rate_limited' });
    // The other key has its own bucket.
    const other = await call('/v1/track', { base, authorization: `Bearer ${KEY2}`, body: { userId: 'rl', event: 'api.ping', messageId: 'rl-4' } });
    expect(other.status).toBe(200);
    const p = await profileWhen('rl', (x) => ids(x).includes('rl-4'));
    expect(ids(p)).toEqual(['rl-1', 'rl-2', 'rl-4']);
  } finally {
    await limited.close();
  }
});

test('/healthz, /openapi.json and /metrics', async () => {
  const health = await call('/healthz', { authorization: null, contentType: null });
  expect(health.status).toBe(200);
  expect(health.body).toEqual({ status: 'ok', temporal: 'reachable' });

  const doc = await call('/openapi.json', { authorization: null, contentType: null });
  expect(doc.status).toBe(200);
  expect(doc.body.openapi).toBe('3.1.0');
  expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/track', '/v1/identify', '/v1/batch', '/healthz', '/metrics', '/openapi.json']));
  expect(doc.body.paths['/v1/batch'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/BatchRequest' });
  expect(Object.keys(doc.body.components.schemas)).toEqual(expect.arrayContaining(['TrackRequest', 'IdentifyRequest', 'BatchRequest', 'Error']));

  const before = (await call('/metrics', { authorization: null, contentType: null })).body as string;
  expect(before).toContain('# TYPE omnijourney_api_requests_total counter');
  expect((await call('/v1/track', { body: { userId: 'm', event: 'api.metrics_probe', messageId: 'm-1' } })).status).toBe(200);
  expect(
    (
      await call('/v1/batch', {
        body: {
          batch: [
            { type: 'track', userId: 'm', event: 'api.metrics_probe', messageId: 'm-2' },
            { type: 'identify', userId: 'm', traits: { a: 1 } },
          ],
        },
      })
    ).status,
  ).toBe(200);
  expect((await call('/v1/track', { body: { userId: 'm' } })).status).toBe(400);
  expect((await call('/v1/track', { authorization: null, body: {} })).status).toBe(401);
  const after = (await call('/metrics', { authorization: null, contentType: null })).body as string;

  const delta = (series: string) => metric(after, series) - metric(before, series);
  expect(delta('omnijourney_api_requests_total{route="/v1/track",method="POST",status="200"}')).toBe(1);
  expect(delta('omnijourney_api_requests_total{route="/v1/batch",method="POST",status="200"}')).toBe(1);
  expect(delta('omnijourney_api_requests_total{route="/v1/track",method="POST",status="400"}')).toBe(1);
  expect(delta('omnijourney_api_requests_total{route="/v1/track",method="POST",status="401"}')).toBe(1);
  expect(delta('omnijourney_api_events_accepted_total{type="track",name="api.metrics_probe"}')).toBe(2);
  expect(delta('omnijourney_api_events_accepted_total{type="identify",name="identify"}')).toBe(1);
  expect(delta('omnijourney_api_errors_total{route="/v1/track",error="invalid_request"}')).toBe(1);
  expect(delta('omnijourney_api_errors_total{route="/v1/track",error="unauthorized"}')).toBe(1);
  expect(metric(after, 'omnijourney_api_request_duration_seconds_count{route="/v1/track"}')).toBeGreaterThan(0);
});

// Last: it takes the server down.
test('Temporal down → 503 with Retry-After within the deadline; back up → the retry with the same messageId lands exactly once', async () => {
  const before = await call('/v1/identify', { body: { userId: 'phoenix', traits: { firstName: 'Phoenix' }, messageId: 'phoenix-1' } });
  expect(before.status).toBe(200);
  await profileWhen('phoenix', (p) => ids(p).includes('phoenix-1'));
  await worker.stop();
  await temporal.stop();

  const event = { userId: 'phoenix', event: 'api.outage_probe', messageId: 'outage-1' };
  const down = await call('/v1/track', { body: event });
  expect(down.status).toBe(503);
  expect(down.headers.get('retry-after')).toBe('5');
  expect(down.body).toMatchObject({ error: 'temporal_unavailable', messageIds: ['outage-1'] });
  // At the API's own deadline, not at the client's: generous, a loaded machine adds seconds, not minutes.
  expect(down.ms).toBeLessThan(TIMEOUT_MS + 10_000);

  const batchDown = await call('/v1/batch', {
    body: {
      batch: [
        { type: 'track', ...event },
        { type: 'track', userId: 'zoe', event: 'api.ping' },
      ],
    },
  });
  expect(batchDown.status).toBe(503);
  expect(batchDown.body.messageIds[0]).toBe('outage-1');
  expect(batchDown.body.messageIds[1]).toMatch(/^[0-9a-f-]{36}$/); // generated: the client needs it to retry safely

  const health = await call('/healthz', { authorization: null, contentType: null });
  expect(health.status).toBe(503);
  expect(health.body).toMatchObject({ status: 'unavailable', temporal: 'unreachable' });

  // Same SQLite file, same port.
  await temporal.start();
  worker = await startWorker();

  // What a client does with a 503: retry the same messageId until it gets a 200.
  let attempts = 0;
  let last: Res | undefined;
  await eventually(
    'the retried event to be accepted',
    async () => {
      attempts += 1;
      last = await call('/v1/track', { body: event });
      if (last.status === 200) return true;
      expect(last.status).toBe(503);
      return false;
    },
    { timeoutMs: 60_000, intervalMs: 500, detail: () => `still ${last?.status} after ${attempts} attempts: ${JSON.stringify(last?.body)}` },
  );
  // A duplicate retry (the client never saw the 200, say) and one more event to know both were applied.
  expect((await call('/v1/track', { body: event })).status).toBe(200);
  expect((await call('/v1/track', { body: { ...event, messageId: 'outage-2' } })).status).toBe(200);

  const phoenix = await profileWhen('phoenix', (p) => ids(p).includes('outage-2'), 30_000);
  expect(ids(phoenix)).toEqual(['phoenix-1', 'outage-1', 'outage-2']);
  // What was accepted before the outage survived it (a 200 meant durable).
  expect(phoenix.traits.firstName).toBe('Phoenix');
  expect((await call('/healthz', { authorization: null, contentType: null })).status).toBe(200);
});
