// Hardening (issue 14), each point against real servers with a real HTTP client: MailDev started the way
// `npm start` starts it listens on loopback only (SMTP and the web inbox); the codec endpoint without a token
// refuses anything that carries a proxy or forwarding header, through a real proxy on this machine too;
// hostile JSON nesting is a 400 naming where before anything walks the body, and the Twilio webhooks take
// forms only; Basic auth with a password is refused; over-long and malformed customer-page links get the
// customer pages' HTML error page with its security headers. The API runs in front of a real dev server
// and worker; the server's log is captured, and no request may get a 5xx or log an error.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PAGE_HEADERS } from '../../api/html';
import { payloadToJson } from '../../api/routes/codec';
import { maildevArgs } from '../../scripts/maildev';
import { customerWorkflowId } from '../../domain/messages';
import { startApiHarness, type ApiHarness } from '../helpers/devServerHarness';
import type { RunningEngine } from '../helpers/engine';
import { reliabilityLine, until } from '../helpers/faults';
import { customerExists, form, formHeaders, rawRequest, twilioSignature as signTwilio, type RawAnswer } from '../helpers/rawHttp';
import { freePort } from '../../harness/temporalProcess';

const root = join(__dirname, '..', '..');
const KEY = 'wk_hardening_primary_0123456789';
const PREFERENCES_SECRET = 'hardening-preferences-secret-0123456789';
const TWILIO_TOKEN = 'hardening-twilio-auth-token';
const PUBLIC_URL = 'https://journeys.hardening.test';
const VICTIM = 'hd-victim';
const VICTIM_EMAIL = 'hd.victim.mailbox.5521@example.org';

let h: ApiHarness;
let engine: RunningEngine;
let port: number;
/** Every answer of the API, and every line it logged. */
const seen: number[] = [];
const logLines: string[] = [];

beforeAll(async () => {
  const log = new Writable({ write: (chunk: Buffer, _encoding, done) => void (logLines.push(chunk.toString()), done()) });
  h = await startApiHarness({
    name: 'hardening',
    config: { API_WRITE_KEYS: KEY, PREFERENCES_SECRET, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, PUBLIC_URL },
    // No CODEC_AUTH_TOKEN: the codec serves callers on this machine only (what `npm start` runs).
    codec: { authTokens: [], corsOrigins: ['http://localhost:8233'] },
    logger: { level: 'info', stream: log },
  });
  ({ engine, port } = h);
  // A customer whose email address sits, encrypted, in Temporal's history.
  await engine.send({ customerId: VICTIM, type: 'identify', name: 'identify', traits: { email: VICTIM_EMAIL } });
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

// ---- helpers ----------------------------------------------------------------------------------------

/** One raw request; answers from the API under test count towards the no-5xx check. */
async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string, to = port): Promise<RawAnswer> {
  const answer = await rawRequest(to, method, path, headers, body);
  if (to === port) seen.push(answer.status);
  return answer;
}

const json = { 'content-type': 'application/json' };
const auth = { authorization: `Bearer ${KEY}` };
const twilioSignature = (url: string, params: Record<string, string>) => signTwilio(TWILIO_TOKEN, url, params);
const deepArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

const exists = (customerId: string) => customerExists(engine.client, customerId);

/** The addresses (ip:port) a process listens on over TCP: its sockets' inodes (/proc/<pid>/fd) looked up in
 *  the kernel's tables (/proc/net/tcp, tcp6). IPv6 any is "::", a v4-mapped address "::ffff:a.b.c.d". */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed while we looked
    }
  }
  const bytes = (hex: string) => (hex.match(/../g) ?? []).map((b) => parseInt(b, 16));
  // The kernel prints each 32-bit word in host (little-endian) order.
  const words = (hex: string) => (hex.match(/.{8}/g) ?? []).flatMap((w) => bytes(w).reverse());
  const v4 = (b: number[]) => b.join('.');
  const v6 = (b: number[]) => {
    if (b.every((x) => x === 0)) return '::';
    if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return '::1';
    if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${v4(b.slice(12))}`;
    return (
      b
        .map((x) => x.toString(16).padStart(2, '0'))
        .join('')
        .match(/.{4}/g) ?? []
    ).join(':');
  };
  const found: string[] = [];
  for (const [file, six] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ] as const) {
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      if (state !== '0A' /* LISTEN */ || !inodes.has(inode)) continue;
      const [ip, hexPort] = local.split(':');
      found.push(`${six ? v6(words(ip)) : v4(words(ip))}:${parseInt(hexPort, 16)}`);
    }
  }
  return found.sort();
}

function canConnect(host: string, to: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port: to });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

// ---- 1. MailDev, as npm start runs it ------------------------------------------------------------------

describe("MailDev started with npm start's arguments", () => {
  let maildev: ChildProcess | undefined;
  let output = '';
  afterAll(async () => {
    const p = maildev;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const killer = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  });

  test('listens on 127.0.0.1 only: SMTP and the web inbox (which shows every mail and its preference links)', async () => {
    const [smtpPort, webPort] = [await freePort(), await freePort()];
    const args = maildevArgs({ smtpPort, webPort, mailDirectory: join(h.dir, 'mail') });
    maildev = spawn(join(root, 'node_modules', '.bin', 'maildev'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (c: Buffer) => void (output = (output + c.toString()).slice(-4000));
    maildev.stdout?.on('data', keep);
    maildev.stderr?.on('data', keep);
    const running = () => maildev!.exitCode === null && maildev!.signalCode === null;
    await until(
      'MailDev to open its SMTP and web ports',
      async () => {
        if (!running()) throw new Error(`MailDev exited (${maildev!.exitCode ?? maildev!.signalCode}): ${output}`);
        return (await canConnect('127.0.0.1', smtpPort)) && (await canConnect('127.0.0.1', webPort));
      },
      30_000,
      () => output,
    );

    // Every socket it listens on, as the kernel sees it.
    expect(listeningAddresses(maildev.pid!)).toEqual([`127.0.0.1:${smtpPort}`, `127.0.0.1:${webPort}`].sort());
    // The inbox works on loopback: its page and the API it reads every mail from…
    const inbox = await fetch(`http://127.0.0.1:${webPort}/`, { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(10_000) });
    expect([inbox.status, inbox.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/html')]);
    const mails = await fetch(`http://127.0.0.1:${webPort}/api/email`, { signal: AbortSignal.timeout(10_000) });
    expect([mails.status, await mails.json()]).toEqual([200, []]);
    // …and not on this machine's other addresses: those where a server listening on every interface (the
    // control) can be reached, if the machine has any.
    const control = createServer((_req, res) => res.end());
    await new Promise<void>((r) => control.listen(0, '::', () => r()));
    const controlPort = (control.address() as { port: number }).port;
    const others: string[] = [];
    try {
      for (const a of Object.values(networkInterfaces()).flat()) {
        if (a && !a.internal && !a.address.startsWith('fe80:') && (await canConnect(a.address, controlPort))) others.push(a.address);
      }
    } finally {
      await new Promise<void>((r) => control.close(() => r()));
    }
    for (const address of others) {
      expect([address, await canConnect(address, webPort), await canConnect(address, smtpPort)]).toEqual([address, false, false]);
    }
    reliabilityLine(
      `hardening: MailDev listens on ${listeningAddresses(maildev.pid!).join(', ')}; not reachable on ${others.join(', ') || '(no other address)'}`,
    );
  });
});

// ---- 2. the codec endpoint without a token ------------------------------------------------------------

describe('the codec endpoint without CODEC_AUTH_TOKEN refuses whatever came through a proxy', () => {
  /** The identify signal's input as stored in the victim's history: encrypted. */
  async function storedIdentify(): Promise<Record<string, unknown>> {
    let payload: Record<string, unknown> | undefined;
    await until(
      "the identify in the victim's history",
      async () => {
        const { history } = await engine.client.workflowService.getWorkflowExecutionHistory({
          namespace: 'default',
          execution: { workflowId: customerWorkflowId(VICTIM) },
        });
        const signal = (history?.events ?? []).find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'events');
        const stored = signal?.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
        if (stored) payload = payloadToJson(stored);
        return payload !== undefined;
      },
      20_000,
    );
    expect(Buffer.from(String((payload!.metadata as Record<string, string>).encoding), 'base64').toString()).toBe('binary/encrypted');
    return payload!;
  }
  const decoded = (text: string) => {
    const data = (JSON.parse(text) as { payloads?: Array<{ data?: string }> }).payloads?.[0]?.data;
    return data ? Buffer.from(data, 'base64').toString() : '';
  };

  test("directly from loopback, the caller gets the customer's email back (the control)", async () => {
    const res = await send('POST', '/codec/decode', json, JSON.stringify({ payloads: [await storedIdentify()] }));
    expect(res.status).toBe(200);
    expect(decoded(res.text)).toContain(VICTIM_EMAIL);
  });

  test.each([
    ['Forwarded', 'for=203.0.113.9'],
    ['X-Forwarded-For', '203.0.113.9'],
    ['X-Forwarded-Host', 'codec.example'],
    ['X-Real-IP', '203.0.113.9'],
    ['True-Client-IP', '203.0.113.9'],
    ['CF-Connecting-IP', '203.0.113.9'],
    ['X-Client-IP', '203.0.113.9'],
    ['X-Cluster-Client-IP', '203.0.113.9'],
    ['Fastly-Client-IP', '203.0.113.9'],
    ['Via', '1.1 proxy.example'],
  ])('from loopback with %s: 403 naming the header, nothing decrypted', async (name, value) => {
    const res = await send('POST', '/codec/decode', { ...json, [name]: value }, JSON.stringify({ payloads: [await storedIdentify()] }));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toMatchObject({ error: 'forbidden', message: expect.stringContaining(`proxy header ${name.toLowerCase()}`) });
    expect(res.text).not.toContain('payloads');
  });

  test('through a real reverse proxy on this machine that adds X-Real-IP (nginx style): 403', async () => {
    const proxy: Server = createServer((req, res) => {
      const upstream = httpRequest(
        { host: '127.0.0.1', port, method: req.method, path: req.url, headers: { ...req.headers, 'x-real-ip': req.socket.remoteAddress ?? '' } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    try {
      const res = await send('POST', '/codec/decode', json, JSON.stringify({ payloads: [await storedIdentify()] }), (proxy.address() as { port: number }).port);
      seen.push(res.status);
      expect(res.status).toBe(403);
      expect(decoded(res.text)).toBe('');
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});

// ---- 3. hostile JSON ----------------------------------------------------------------------------------

describe('deeply nested JSON is a 400 naming where, before anything walks it; Twilio takes forms only', () => {
  test('a 10 KB batch nested 5,000 deep: 400 at batch.0.properties…, nothing stored', async () => {
    const body = `{"batch":[{"type":"track","userId":"hd-deep","event":"e","properties":${deepArrays(5000)}}]}`;
    expect(body.length).toBeLessThan(11 * 1024);
    const res = await send('POST', '/v1/batch', { ...auth, ...json }, body);
    expect(res.status).toBe(400);
    const answer = JSON.parse(res.text) as { message: string; issues: Array<{ path: string; message: string }> };
    expect(answer.message).toMatch(/^invalid request: nested deeper than 64 levels of objects and arrays at batch\.0\.properties\.0\.0/);
    expect(answer.issues).toEqual([{ path: expect.stringMatching(/^batch\.0\.properties\.0\.0/), message: 'nested deeper than 64 levels' }]);
    expect(await exists('hd-deep')).toBe(false);
  });

  test('100,000 deep in a batch (200 KB), and objects 3,000 deep in a track call: 400', async () => {
    const batch = await send(
      'POST',
      '/v1/batch',
      { ...auth, ...json },
      `{"batch":[{"type":"track","userId":"hd-deeper","event":"e","properties":{"x":${deepArrays(100_000)}}}]}`,
    );
    expect([batch.status, JSON.parse(batch.text).issues[0].path]).toEqual([400, expect.stringMatching(/^batch\.0\.properties\.x\.0/)]);
    const track = await send('POST', '/v1/track', { ...auth, ...json }, `{"userId":"hd-deep-track","event":"e","properties":${deepObjects(3000)}}`);
    expect([track.status, JSON.parse(track.text).issues[0].path]).toEqual([400, expect.stringMatching(/^properties\.a\.a/)]);
    // Under the parser's 64 levels, the per-message limit of 32 still names the place.
    const forty = await send('POST', '/v1/track', { ...auth, ...json }, `{"userId":"hd-deep-40","event":"e","properties":${deepObjects(40)}}`);
    expect([forty.status, JSON.parse(forty.text).issues[0].message]).toEqual([400, 'nested deeper than 32 levels']);
    for (const id of ['hd-deeper', 'hd-deep-track', 'hd-deep-40']) expect(await exists(id)).toBe(false);
  });

  test('the codec endpoint and the preference form: 400 too (the page is HTML there)', async () => {
    const codec = await send('POST', '/codec/decode', json, `{"payloads":${deepArrays(100_000)}}`);
    expect([codec.status, JSON.parse(codec.text).message]).toEqual([400, expect.stringContaining('nested deeper than 64 levels')]);
    const page = await send('POST', '/preferences/anything', json, deepArrays(1000));
    expect([page.status, page.headers['content-type']]).toEqual([400, 'text/html; charset=utf-8']);
  });

  test.each([
    ['/webhooks/twilio/sms', 'application/json', deepObjects(100_000)],
    ['/webhooks/twilio/status', 'application/json', deepArrays(100_000)],
    ['/webhooks/twilio/sms', 'application/json', '{"From":"+14155550100","Body":"STOP"}'],
    ['/webhooks/twilio/sms', 'text/plain', 'From=%2B14155550100&Body=STOP'],
    ['/webhooks/twilio/sms', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="Body"\r\n\r\nSTOP\r\n--x--\r\n'],
  ])('%s with %s: 415 saying Twilio posts forms', async (path, type, body) => {
    const res = await send('POST', path, { 'content-type': type, 'x-twilio-signature': 'Zm9yZ2Vk' }, body);
    expect(res.status).toBe(415);
    expect(res.text).toContain('Twilio webhooks take Content-Type application/x-www-form-urlencoded');
  });

  test('a Twilio form over 64 KB: 413; a signed form still works (the control)', async () => {
    const big = { From: '+14155550100', Body: 'x'.repeat(65 * 1024) };
    const url = `${PUBLIC_URL}/webhooks/twilio/sms`;
    const tooBig = await send('POST', '/webhooks/twilio/sms', { ...formHeaders, 'x-twilio-signature': twilioSignature(url, big) }, form(big));
    expect([tooBig.status, tooBig.text]).toEqual([413, expect.stringContaining('over 64 KB')]);
    // A number no customer has: the empty TwiML answer any text gets.
    const text = { MessageSid: 'SM00000000000000000000000000000abc', From: '+14155550100', To: '+15005550006', Body: 'hello' };
    const ok = await send('POST', '/webhooks/twilio/sms', { ...formHeaders, 'x-twilio-signature': twilioSignature(url, text) }, form(text));
    expect([ok.status, ok.headers['content-type'], ok.text]).toEqual([200, 'text/xml; charset=utf-8', expect.stringContaining('<Response/>')]);
  });
});

// ---- 4. Basic passwords, over-long customer links ---------------------------------------------------------

describe('write keys with a Basic password; over-long and malformed customer links', () => {
  const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });

  test('Basic with the key and a non-empty password: 401 saying the password must be empty; with it empty: 200', async () => {
    const refused = await send('POST', '/v1/identify', { ...json, ...basic(KEY, 'some-password') }, '{"userId":"hd-basicpw","traits":{}}');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('Basic');
    expect(JSON.parse(refused.text)).toEqual({
      error: 'unauthorized',
      message: expect.stringMatching(
        /^the HTTP Basic password must be empty: send the write key as the HTTP Basic username with an empty password \(curl -u KEY:\) or as Authorization: Bearer KEY/,
      ),
      issues: [{ path: 'headers.authorization', message: 'the Basic password must be empty' }],
    });
    expect(await exists('hd-basicpw')).toBe(false);
    const accepted = await send('POST', '/v1/identify', { ...json, ...basic(KEY, '') }, '{"userId":"hd-basicok","traits":{},"messageId":"hd-basicok-1"}');
    expect(accepted.status).toBe(200);
  });

  /** The customer pages' security headers, as on any of their pages. */
  const pageHeaders = (res: RawAnswer) => Object.fromEntries(Object.keys(PAGE_HEADERS).map((name) => [name, res.headers[name]]));

  test.each([
    ["GET /preferences/<20,000 characters> (over Node's 16 KB request head)", 'GET', `/preferences/${'A'.repeat(20_000)}`, 414, 'This link is too long'],
    ['POST /preferences/<20,000 characters>', 'POST', `/preferences/${'A'.repeat(20_000)}`, 414, 'This link is too long'],
    ["GET /unsubscribe/<5,000 characters> (over the router's 2,048)", 'GET', `/unsubscribe/${'A'.repeat(5000)}`, 414, 'This link is too long'],
    ['POST /unsubscribe/<3,000 characters>', 'POST', `/unsubscribe/${'A'.repeat(3000)}`, 414, 'This link is too long'],
    ['GET /preferences/%E0%A4%A (broken %-encoding)', 'GET', '/preferences/%E0%A4%A', 400, 'This link is not valid'],
    ['GET /preferences/a/b (no such page)', 'GET', '/preferences/a/b', 404, 'This page does not exist'],
  ])("%s: the customer pages' HTML error page with their security headers", async (_name, method, path, status, title) => {
    const res = await send(method, path, method === 'POST' ? formHeaders : {}, method === 'POST' ? 'List-Unsubscribe=One-Click' : undefined);
    expect(res.status).toBe(status);
    expect(pageHeaders(res)).toEqual(PAGE_HEADERS);
    expect(res.text).toMatch(/^<!doctype html>/);
    expect(res.text).toContain(`<h1>${title}</h1>`);
    expect(res.text).toContain('Nothing was changed.');
    expect(res.text).not.toContain('AAAAAAAAAA');
  });

  test("the same on API paths: the API's JSON error format", async () => {
    const long = await send('GET', `/v1/${'A'.repeat(20_000)}`);
    expect([long.status, JSON.parse(long.text)]).toEqual([414, { error: 'invalid_request', message: expect.any(String), issues: expect.any(Array) }]);
    const header = await send('POST', '/v1/track', { ...json, authorization: `Bearer ${'k'.repeat(64 * 1024)}` }, '{}');
    expect([header.status, JSON.parse(header.text).error]).toEqual([431, 'invalid_request']);
    const badUrl = await send('GET', '/v1/%E0%A4%A');
    expect([badUrl.status, JSON.parse(badUrl.text).error]).toEqual([400, 'invalid_request']);
  });
});

afterAll(() => {
  const byStatus = seen.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
  reliabilityLine(
    `hardening: ${seen.length} requests: ${Object.entries(byStatus)
      .map(([s, n]) => `${s}×${n}`)
      .join(', ')}; 5xx ${seen.filter((s) => s >= 500).length}; ` + `error log lines ${logLines.filter((l) => /"level":(50|60)/.test(l)).length}`,
  );
  expect(seen.filter((s) => s >= 500)).toEqual([]);
  expect(logLines.filter((l) => /"level":(50|60)|RangeError/.test(l))).toEqual([]);
});
