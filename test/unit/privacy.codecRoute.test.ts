// The codec endpoint (api/routes/codec.ts) inside the real API server, listening on a loopback port and
// called with fetch: the codec-server contract, access control and CORS. (Fastify's inject, which could fake
// a remote address, does not load under Jest; the address rule is checked as a function instead.)
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { isLocalCaller, payloadToJson } from '../../api/routes/codec';
import { buildServer } from '../../api/server';
import { loadConfig } from '../../config/config';
import { testCodec } from '../helpers/privacy';

const TOKEN = 'codec-token-for-tests-0123456789';
const UI = 'http://localhost:8233';
const codec = testCodec();
let connection: Connection;
let open: FastifyInstance; // no CODEC_AUTH_TOKEN: loopback only
let guarded: FastifyInstance; // CODEC_AUTH_TOKEN set
const base = new Map<FastifyInstance, string>();

function server(env: Record<string, string>): FastifyInstance {
  const config = loadConfig(env);
  return buildServer({
    client: new Client({ connection }), // never called by these routes
    taskQueue: 'unused',
    api: config.api,
    codec: { codec, namespace: 'default', ...config.privacy.codec },
  });
}

beforeAll(async () => {
  connection = Connection.lazy({ address: '127.0.0.1:1' });
  open = server({});
  guarded = server({ CODEC_AUTH_TOKEN: TOKEN });
  for (const app of [open, guarded]) base.set(app, await app.listen({ port: 0, host: '127.0.0.1' }));
});
afterAll(async () => {
  await open.close();
  await guarded.close();
  await connection.close();
});

const secret = { email: 'route.test@example.org', phone: '+14155550177' };
async function encryptedJson(): Promise<Record<string, unknown>> {
  const [p] = await codec.encode([defaultPayloadConverter.toPayload(secret)]);
  return payloadToJson(p);
}
const value = (json: Record<string, unknown>) => defaultPayloadConverter.fromPayload(codecPayload(json));
function codecPayload(json: Record<string, unknown>): Payload {
  const metadata = json.metadata as Record<string, string>;
  return {
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(json.data as string, 'base64'),
  };
}

interface Res {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of several shapes, checked by the tests
  json(): any;
}
async function call(app: FastifyInstance, method: string, path: string, headers: Record<string, string | undefined>, body?: unknown): Promise<Res> {
  const res = await fetch(`${base.get(app)}${path}`, {
    method,
    headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string>,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: text, json: () => JSON.parse(text) };
}
const post = (app: FastifyInstance, path: string, body: unknown, o: { headers?: Record<string, string | undefined> } = {}) =>
  call(app, 'POST', path, { 'content-type': 'application/json', 'x-namespace': 'default', ...o.headers }, body);

test('decode: protobuf-JSON payloads in, decrypted payloads out, in order; clear ones unchanged', async () => {
  const clear = payloadToJson(defaultPayloadConverter.toPayload({ hello: 'world' }));
  const res = await post(open, '/codec/decode?preserveStorageRefs=true', { payloads: [await encryptedJson(), clear] });
  expect(res.statusCode).toBe(200);
  const { payloads } = res.json() as { payloads: Array<Record<string, unknown>> };
  expect(payloads).toHaveLength(2);
  expect((payloads[0].metadata as Record<string, string>).encoding).toBe(Buffer.from('json/plain').toString('base64'));
  expect(value(payloads[0])).toEqual(secret);
  expect(payloads[1]).toEqual(clear);
});

test('encode (the UI sending a signal): the result is encrypted with the current key and decodes back', async () => {
  const res = await post(open, '/codec/encode', { payloads: [payloadToJson(defaultPayloadConverter.toPayload(secret))] });
  expect(res.statusCode).toBe(200);
  const [enc] = (res.json() as { payloads: Array<Record<string, unknown>> }).payloads;
  expect(Buffer.from((enc.metadata as Record<string, string>)['encryption-key-id'], 'base64').toString()).toBe('test-k1');
  expect(JSON.stringify(enc)).not.toContain(Buffer.from('route.test').toString('base64').slice(0, 8));
  const [dec] = await codec.decode([codecPayload(enc)]);
  expect(defaultPayloadConverter.fromPayload(dec)).toEqual(secret);
});

test('without CODEC_AUTH_TOKEN: loopback callers only, and nothing that came through a proxy', async () => {
  const body = { payloads: [await encryptedJson()] };
  expect((await post(open, '/codec/decode', body)).statusCode).toBe(200);
  for (const via of [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }]) {
    const proxied = await post(open, '/codec/decode', body, { headers: via });
    expect(proxied.statusCode).toBe(403);
    expect(proxied.json()).toMatchObject({ error: 'forbidden', message: expect.stringMatching(/only callers on this machine/) });
    expect(proxied.body).not.toContain('route.test');
  }
  // The address rule itself (a real socket here is always loopback).
  expect(['127.0.0.1', '127.8.9.1', '::1', '::ffff:127.0.0.1'].map((ip) => isLocalCaller(ip, {}))).toEqual([true, true, true, true]);
  expect(['10.1.2.3', '192.168.1.4', '::ffff:10.0.0.1', 'fe80::1', '', undefined].map((ip) => isLocalCaller(ip, {}))).toEqual([
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
  expect(isLocalCaller('127.0.0.1', { 'x-forwarded-for': '10.0.0.1' })).toBe(false);
  // Any proxy or forwarding header, whoever's: a loopback proxy may set any of them.
  for (const name of [
    'x-forwarded-host',
    'x-real-ip',
    'true-client-ip',
    'cf-connecting-ip',
    'cf-connecting-ipv6',
    'x-client-ip',
    'x-cluster-client-ip',
    'fastly-client-ip',
    'client-ip',
    'x-originating-ip',
    'via',
  ]) {
    expect([name, isLocalCaller('127.0.0.1', { [name]: '203.0.113.9' })]).toEqual([name, false]);
  }
  // What the Temporal UI and CLI send is not one.
  expect(
    isLocalCaller('127.0.0.1', {
      'content-type': 'application/json',
      'x-namespace': 'default',
      origin: 'http://localhost:8233',
      'user-agent': 'x',
      authorization: 'Bearer x',
      'authorization-extras': 'x',
    }),
  ).toBe(true);
});

test('with CODEC_AUTH_TOKEN: the bearer token is required from everyone, loopback included', async () => {
  const body = { payloads: [await encryptedJson()] };
  const none = await post(guarded, '/codec/decode', body);
  expect(none.statusCode).toBe(401);
  expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
  expect((await post(guarded, '/codec/decode', body, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
  const ok = await post(guarded, '/codec/decode', body, { headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '203.0.113.9' } });
  expect(ok.statusCode).toBe(200);
  expect(value((ok.json() as { payloads: Array<Record<string, unknown>> }).payloads[0])).toEqual(secret);
});

test('X-Namespace must be the namespace these keys serve; an unknown key id is a 422 naming it', async () => {
  const body = { payloads: [await encryptedJson()] };
  const other = await post(open, '/codec/decode', body, { headers: { 'x-namespace': 'payments' } });
  expect(other.statusCode).toBe(403);
  expect(other.json().message).toBe('this codec serves namespace "default", not "payments"');
  expect((await post(open, '/codec/decode', body, { headers: { 'x-namespace': undefined } })).statusCode).toBe(200);
  expect((await post(open, '/codec/decode', body, { headers: { 'x-namespace': '' } })).statusCode).toBe(200); // the Temporal CLI sends it empty

  const [foreign] = await testCodec(`old-key:${Buffer.alloc(32, 9).toString('base64')}`).encode([defaultPayloadConverter.toPayload(secret)]);
  const unknown = await post(open, '/codec/decode', { payloads: [payloadToJson(foreign)] });
  expect(unknown.statusCode).toBe(422);
  expect(unknown.json()).toMatchObject({ error: 'decode_failed', message: expect.stringContaining('key id "old-key", which is not configured') });
});

test('malformed requests are 400s that name the field', async () => {
  expect((await post(open, '/codec/decode', { nope: [] })).json()).toMatchObject({ error: 'invalid_request', issues: [{ path: 'payloads' }] });
  expect((await post(open, '/codec/decode', { payloads: [{ data: 'not base64!' }] })).json()).toMatchObject({
    error: 'invalid_request',
    issues: [{ path: 'payloads.0.data' }],
  });
  expect((await post(open, '/codec/decode', { payloads: [] })).json()).toEqual({ payloads: [] });
});

describe('CORS for the Temporal UI', () => {
  const preflight = (origin: string, requestHeaders = 'content-type,x-namespace') =>
    call(open, 'OPTIONS', '/codec/decode', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders });

  test('preflight from the UI origin allows POST with the headers the UI sends (no token needed for it)', async () => {
    for (const origin of [UI, 'http://127.0.0.1:8233']) {
      const res = await preflight(origin, 'authorization,authorization-extras,content-type,x-namespace');
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-methods']).toContain('POST');
      const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/);
      expect(allowed).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization', 'authorization-extras']));
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers.vary).toContain('Origin');
    }
    const guardedPreflight = await call(guarded, 'OPTIONS', '/codec/encode', { origin: UI, 'access-control-request-method': 'POST' });
    expect(guardedPreflight.statusCode).toBe(204);
  });

  test('the actual request carries Access-Control-Allow-Origin, errors too', async () => {
    const ok = await post(open, '/codec/decode', { payloads: [] }, { headers: { origin: UI } });
    expect(ok.headers['access-control-allow-origin']).toBe(UI);
    const denied = await post(guarded, '/codec/decode', { payloads: [] }, { headers: { origin: UI } });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['access-control-allow-origin']).toBe(UI);
  });

  test('another origin gets no CORS headers, and a 403 even from loopback', async () => {
    const pre = await preflight('https://evil.example');
    expect(pre.statusCode).toBe(403);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const res = await post(open, '/codec/decode', { payloads: [await encryptedJson()] }, { headers: { origin: 'https://evil.example' } });
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('route.test');
  });
});

test('the ingest routes are unaffected: the codec token is not a write key, and no codec without the option', async () => {
  const res = await call(guarded, 'POST', '/v1/track', { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, {});
  expect(res.statusCode).toBe(401);
  const config = loadConfig({});
  const plain = buildServer({ client: new Client({ connection }), taskQueue: 'unused', api: config.api });
  base.set(plain, await plain.listen({ port: 0, host: '127.0.0.1' }));
  try {
    expect((await post(plain, '/codec/decode', { payloads: [] })).statusCode).toBe(404);
  } finally {
    await plain.close();
  }
});
