// Segment payloads: validation naming the field, size limits, and the mapping onto CustomerEvent.
import { ApiError, invalidRequest } from '../../api/errors';
import { checkBatchLimits, jsonTooDeep, MAX_JSON_DEPTH } from '../../api/limits';
import { toCustomerEvent } from '../../api/mapping';
import { buildOpenApi } from '../../api/openapi';
import { BatchRequest, IdentifyRequest, LIMITS, TrackRequest } from '../../api/schemas';
import { CustomerEvent } from '../../sdk/events';

const issuesOf = (r: { success: boolean; error?: unknown }) => (r.success ? [] : invalidRequest(r.error as never).issues);

describe('validation', () => {
  test('a Segment track call with the fields its libraries add is valid', () => {
    const r = TrackRequest.safeParse({
      userId: 'u1',
      event: 'Order Completed',
      properties: { total: 12 },
      messageId: 'ajs-1',
      timestamp: '2026-01-05T09:00:00.000Z',
      sentAt: '2026-01-05T09:00:01.000Z',
      integrations: { All: true },
      context: { library: { name: 'analytics-node', version: '1' }, timezone: 'Europe/Berlin' },
      _metadata: {},
    });
    expect(r.success).toBe(true);
  });

  test('errors name every wrong field, with a plain message', () => {
    expect(issuesOf(TrackRequest.safeParse({ properties: [] }))).toEqual([
      { path: 'event', message: 'required' },
      { path: 'properties', message: 'expected record, received array' },
      { path: 'userId', message: 'userId or anonymousId is required' },
    ]);
    expect(issuesOf(IdentifyRequest.safeParse({ anonymousId: '', timestamp: 'yesterday', context: { timezone: 'Mars/Olympus' } }))).toEqual([
      { path: 'anonymousId', message: 'must not be empty' },
      { path: 'timestamp', message: 'expected an ISO 8601 timestamp, e.g. 2026-01-05T09:00:00Z' },
      { path: 'context.timezone', message: 'not an IANA timezone (e.g. "Europe/London")' },
    ]);
  });

  test('a batch names the message and field, and rejects unsupported types', () => {
    const batch = [
      { type: 'identify', userId: 'a', traits: { email: 'a@example.com' } },
      { type: 'track', userId: 'a', event: 'x' },
      { type: 'page', userId: 'a', name: 'Home' },
      { type: 'track', userId: 'a' },
    ];
    const issues = issuesOf(BatchRequest.safeParse({ batch }));
    expect(issues).toEqual([
      { path: 'batch.2.type', message: 'expected "track" or "identify" (page, screen, group and alias are not supported)' },
      { path: 'batch.3.event', message: 'required' },
    ]);
    expect(issuesOf(BatchRequest.safeParse({ batch: [] }))).toEqual([{ path: 'batch', message: 'at least one message' }]);
    expect(issuesOf(BatchRequest.safeParse([]))).toEqual([{ path: '', message: 'expected object, received array' }]);
  });

  test('invalidRequest is a 400 whose message lists the first issues', () => {
    const r = BatchRequest.safeParse({ batch: [{ type: 'track' }] });
    if (r.success) throw new Error('expected a schema error');
    const err = invalidRequest(r.error);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.body()).toMatchObject({ error: 'invalid_request', message: expect.stringContaining('batch.0.event: required') });
  });
});

describe('limits (413, before validation)', () => {
  test(`more than ${LIMITS.batchEvents} messages`, () => {
    const batch = Array.from({ length: LIMITS.batchEvents + 1 }, () => ({ type: 'track' }));
    expect(() => checkBatchLimits({ batch })).toThrow(
      expect.objectContaining({ status: 413, issues: [{ path: 'batch', message: '101 events; the limit is 100' }] }),
    );
    expect(() => checkBatchLimits({ batch: batch.slice(1) })).not.toThrow();
  });

  test('a message over 32 KB is named', () => {
    const big = { type: 'track', userId: 'a', event: 'x', properties: { blob: 'x'.repeat(LIMITS.eventBytes) } };
    const small = { type: 'track', userId: 'a', event: 'x' };
    try {
      checkBatchLimits({ batch: [small, big, small] });
      throw new Error('expected a 413');
    } catch (err) {
      expect(err).toMatchObject({ status: 413, code: 'payload_too_large' });
      expect((err as ApiError).issues).toEqual([{ path: 'batch.1', message: '33 KB as JSON; the limit is 32 KB per event' }]);
    }
  });

  test('shapes that are not a batch are left to the schema', () => {
    for (const body of [null, {}, { batch: 'x' }, 'text']) expect(() => checkBatchLimits(body)).not.toThrow();
  });
});

describe('jsonTooDeep: the scan of raw JSON text before it is parsed', () => {
  test('names the path of the first container past the limit', () => {
    const text = '{"a":{"b":[1,{"c":[]}]}}';
    expect(jsonTooDeep(text, 3)).toBe('a.b.1');
    expect(jsonTooDeep(text, 4)).toBe('a.b.1.c');
    expect(jsonTooDeep(text, 5)).toBeNull();
  });

  test('brackets and escaped quotes inside strings do not count', () => {
    const text = String.raw`{"x":"[[[[\"{{\\","y":[[]]}`;
    expect(JSON.parse(text)).toEqual({ x: '[[[["{{\\', y: [[]] });
    expect(jsonTooDeep(text, 3)).toBeNull();
    expect(jsonTooDeep(text, 2)).toBe('y.0');
  });

  test('100,000 levels: answered at once, without recursion', () => {
    const started = Date.now();
    expect(jsonTooDeep('['.repeat(100_000), MAX_JSON_DEPTH)).toBe(Array(MAX_JSON_DEPTH).fill(0).join('.'));
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('mapping onto CustomerEvent', () => {
  test('track: userId → customerId, event → name, context.timezone kept; the result is a valid CustomerEvent', () => {
    const e = toCustomerEvent({
      type: 'track',
      userId: 'u1',
      anonymousId: 'anon',
      event: 'Signed Up',
      properties: { plan: 'pro' },
      messageId: 'm1',
      timestamp: '2026-01-05T09:00:00Z',
      context: { timezone: 'Europe/Paris', traits: { email: 'x@example.com' } },
    });
    expect(e).toEqual({
      messageId: 'm1',
      type: 'track',
      customerId: 'u1',
      name: 'Signed Up',
      properties: { plan: 'pro' },
      traits: {},
      timestamp: '2026-01-05T09:00:00Z',
      context: { timezone: 'Europe/Paris' },
    });
    expect(CustomerEvent.parse(e)).toEqual(e);
  });

  test('identify: traits over context.traits; anonymousId when there is no userId; a generated messageId', () => {
    const e = toCustomerEvent(
      { type: 'identify', anonymousId: 'anon-7', traits: { email: 'new@example.com' }, context: { traits: { email: 'old@example.com', firstName: 'Ada' } } },
      { newMessageId: () => 'gen-1' },
    );
    expect(e).toEqual({
      messageId: 'gen-1',
      type: 'identify',
      customerId: 'anon-7',
      name: 'identify',
      properties: {},
      traits: { email: 'new@example.com', firstName: 'Ada' },
      timestamp: undefined,
      context: {},
    });
    expect(CustomerEvent.safeParse(e).success).toBe(true);
  });

  test('generated messageIds are UUIDs by default, one per message', () => {
    const a = toCustomerEvent({ type: 'track', userId: 'u', event: 'x' });
    const b = toCustomerEvent({ type: 'track', userId: 'u', event: 'x' });
    expect(a.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.messageId).not.toBe(b.messageId);
  });

  test("a batch's top-level context goes under each message's own", () => {
    const parsed = BatchRequest.parse({
      context: { timezone: 'Asia/Tokyo' },
      batch: [
        { type: 'track', userId: 'a', event: 'x', messageId: '1' },
        { type: 'track', userId: 'b', event: 'y', messageId: '2', context: { timezone: 'America/New_York' } },
      ],
    });
    const events = parsed.batch.map((m) => toCustomerEvent(m, { context: parsed.context }));
    expect(events.map((e) => e.context.timezone)).toEqual(['Asia/Tokyo', 'America/New_York']);
  });
});

test('the OpenAPI document is generated from these schemas', () => {
  const doc = buildOpenApi() as {
    openapi: string;
    paths: Record<string, unknown>;
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
  };
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/track', '/v1/identify', '/v1/batch', '/healthz', '/metrics', '/openapi.json']));
  expect(Object.keys(doc.components.schemas.TrackRequest.properties ?? {})).toEqual(
    expect.arrayContaining(['userId', 'anonymousId', 'event', 'properties', 'messageId', 'timestamp', 'context']),
  );
  expect(JSON.stringify(doc.components.schemas.BatchRequest)).toContain('"maxItems":100');
  expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
});
