// Privacy end to end on a real Temporal dev server whose SQLite file this test owns: personal data never
// reaches the database in clear text (searched byte by byte, with controls that prove the search finds
// what is stored in clear), the codec endpoint decodes real history for an authorised caller only (and
// works for the Temporal CLI), and export / erase do what they say.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { payloadToJson } from '../../api/routes/codec';
import { buildServer } from '../../api/server';
import { loadConfig } from '../../config/config';
import { customerQuery, eraseCustomer, exportCustomer } from '../../client/customerData';
import { devServerEraseArgs } from '../../privacy/devServer';
import { ledgerQuery, stateQuery } from '../../domain/messages';
import { startEngine, type EngineServer, type RunningEngine } from '../helpers/engine';
import { eventually } from '../helpers/eventually';
import { TEST_PAYLOAD_KEYS, testCodec } from '../helpers/privacy';
import { emailActivitiesFor, recipient, startSmtpSink, type SmtpSink } from '../../harness/smtpSink';
import { startTemporalProcess, type TemporalProcess } from '../../harness/temporalProcess';
import { toolPaths } from '../../harness/tools';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const TOKEN = 'codec-token-integration-0123456789';
const policy = { policy: { caps: { perDay: 10, perWeek: 20 }, quietHours: null } };

// The customer whose data must not be readable, and a control customer sent without the codec.
const secret = { id: `zq-private-${process.pid}`, email: 'zq.private.mailbox.7731@example.org', phone: '+14155557731', firstName: 'Zenobiaqx' };
const control = { id: `zq-plain-${process.pid}`, email: 'zq.plain.control.7731@example.org' };

let tmp: string;
let dbFile: string;
let temporal: TemporalProcess;
let smtp: SmtpSink;
let server: EngineServer & { close(): Promise<void> };
let engine: RunningEngine; // encrypted (the test key)
let plain: RunningEngine; // no codec: the control

async function connect(address: string): Promise<EngineServer & { close(): Promise<void> }> {
  const [connection, nativeConnection] = await Promise.all([Connection.connect({ address }), NativeConnection.connect({ address })]);
  return {
    connection,
    nativeConnection,
    namespace: 'default',
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

async function startEngines(): Promise<void> {
  server = await connect(temporal.address);
  // After a restart, new workers on the same task queues as before.
  engine = await startEngine(server, emailActivitiesFor(smtp), policy, undefined, { taskQueue: engine?.taskQueue });
  plain = await startEngine(server, emailActivitiesFor(smtp), policy, undefined, { codec: null, taskQueue: plain?.taskQueue });
}

async function stopEngines(): Promise<void> {
  await engine?.stop();
  await plain?.stop();
  await server?.close();
}

/** Every byte Temporal keeps: the SQLite file, and its WAL and shared-memory files when present. */
function storedBytes(): Buffer {
  return Buffer.concat([dbFile, `${dbFile}-wal`, `${dbFile}-shm`].filter(existsSync).map((f) => readFileSync(f)));
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'omnijourney-privacy-'));
  dbFile = join(tmp, 'temporal.sqlite');
  // With npm start's setting that lets deletions go through in seconds, not 30 s each.
  [temporal, smtp] = await Promise.all([startTemporalProcess(dbFile, 60_000, devServerEraseArgs()), startSmtpSink()]);
  await startEngines();
}, 180_000);

afterAll(async () => {
  await stopEngines();
  await temporal?.stop();
  await smtp?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('(a) with the codec on, the e-mail address, phone number and name never reach the SQLite file in clear text', async () => {
  await engine.send({
    customerId: secret.id,
    type: 'identify',
    name: 'identify',
    traits: { email: secret.email, phone: secret.phone, firstName: secret.firstName },
  });
  await engine.send({ customerId: secret.id, name: 'user.signed_up', properties: { plan: 'pro' } });
  await plain.send({ customerId: control.id, type: 'identify', name: 'identify', traits: { email: control.email, firstName: 'Plain' } });
  await plain.send({ customerId: control.id, name: 'user.signed_up', properties: { plan: 'pro' } });

  // The real flow worked: the worker decrypted the traits and mailed the real address.
  const mail = await smtp.waitFor((m) => recipient(m) === secret.email);
  expect(mail.subject).toBe(`Welcome to Acme, ${secret.firstName}!`);
  await smtp.waitFor((m) => recipient(m) === control.email);
  // …and the customer workflow has recorded the send (so the ledger, with the address, is in history too).
  for (const [e, id] of [
    [engine, secret.id],
    [plain, control.id],
  ] as const) {
    await eventually(
      `the welcome mail of ${id} on its ledger`,
      async () => {
        const ledger = await e.client.workflow.getHandle(`customer:${id}`).query(ledgerQuery);
        return ledger.some((l) => l.template === 'welcome/hello' && l.status === 'sent');
      },
      { timeoutMs: 30_000, intervalMs: 200, retryErrors: true },
    );
  }

  // Stop everything so SQLite has written all of it (the server closes its database on SIGTERM).
  await stopEngines();
  await temporal.stop();
  const bytes = storedBytes();
  expect(bytes.length).toBeGreaterThan(100_000);

  // Controls: the same search does find what is stored in clear, so it can fail.
  expect(bytes.includes(`customer:${secret.id}`)).toBe(true); // workflow IDs are not encrypted
  expect(bytes.includes(`journey:welcome:${secret.id}`)).toBe(true);
  expect(bytes.includes(control.email)).toBe(true); // a customer sent without the codec
  expect(bytes.includes(`for customer ${control.id}`)).toBe(true); // and that customer's journey summary

  // The customer sent with the codec: nothing readable.
  for (const needle of [secret.email, 'zq.private.mailbox', secret.phone, '4155557731', secret.firstName, `for customer ${secret.id}`]) {
    expect({ needle, found: bytes.includes(needle) }).toEqual({ needle, found: false });
  }
  // Nor in UTF-16 (in case anything were stored that way).
  expect(bytes.includes(Buffer.from(secret.email, 'utf16le'))).toBe(false);

  await temporal.start();
  await startEngines();
}, 120_000);

describe('(b) the codec endpoint', () => {
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    const config = loadConfig({ CODEC_AUTH_TOKEN: TOKEN });
    app = buildServer({
      client: engine.client,
      taskQueue: engine.taskQueue,
      api: config.api,
      codec: { codec: testCodec(), namespace: 'default', ...config.privacy.codec },
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => app?.close());

  /** The identify signal's input, as stored in the customer's history: encrypted. */
  async function storedIdentify(): Promise<Record<string, unknown>> {
    const { history } = await engine.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: `customer:${secret.id}` },
    });
    const signals = (history?.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'events');
    expect(signals.length).toBeGreaterThanOrEqual(2);
    const [payload] = signals[0].workflowExecutionSignaledEventAttributes?.input?.payloads ?? [];
    expect(Buffer.from(payload.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    expect(Buffer.from(payload.data ?? []).includes(secret.email)).toBe(false);
    return payloadToJson(payload);
  }

  const decode = (headers: Record<string, string>, body: unknown) =>
    fetch(`${url}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });

  test('an authorised caller gets a payload from the real history back decoded', async () => {
    const res = await decode({ authorization: `Bearer ${TOKEN}`, origin: 'http://localhost:8233' }, { payloads: [await storedIdentify()] });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const [p] = ((await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
    const [event] = defaultPayloadConverter.fromPayload<unknown[]>({
      metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(p.data, 'base64'),
    });
    expect(event).toMatchObject({ customerId: secret.id, type: 'identify', traits: { email: secret.email, phone: secret.phone } });
  });

  test('an unauthorised caller is refused and sees nothing', async () => {
    const body = { payloads: [await storedIdentify()] };
    for (const headers of [{}, { authorization: 'Bearer not-the-codec-token-000' }] as Array<Record<string, string>>) {
      const res = await decode(headers, body);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain(Buffer.from(secret.email).toString('base64').slice(0, 12));
    }
    expect((await decode({ authorization: `Bearer ${TOKEN}`, 'x-namespace': 'other' }, body)).status).toBe(403);
  });

  test('CORS preflight from the UI origin allows the headers the UI sends', async () => {
    const res = await fetch(`${url}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:8233',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toEqual(expect.stringContaining('x-namespace'));
  });

  test('the Temporal CLI decodes history through it (--codec-endpoint, --codec-auth); without it, ciphertext', async () => {
    const show = async (extra: string[]): Promise<string[]> => {
      const { stdout } = await run(
        toolPaths().temporalCli,
        ['workflow', 'show', '--address', temporal.address, '--workflow-id', `customer:${secret.id}`, '--output', 'json', ...extra],
        {
          timeout: 30_000,
          maxBuffer: 20e6,
        },
      );
      // The identify signal's payload as the CLI printed it: encoding and data, base64-decoded.
      const events = (
        JSON.parse(stdout) as {
          events: Array<Record<string, { signalName?: string; input?: { payloads: Array<{ metadata: Record<string, string>; data: string }> } }>>;
        }
      ).events;
      const signal = events.map((e) => e.workflowExecutionSignaledEventAttributes).find((a) => a?.signalName === 'events');
      const [p] = signal?.input?.payloads ?? [];
      return [Buffer.from(p.metadata.encoding, 'base64').toString(), Buffer.from(p.data, 'base64').toString('latin1')];
    };
    const [encoding, data] = await show(['--codec-endpoint', `${url}/codec`, '--codec-auth', `Bearer ${TOKEN}`]);
    expect(encoding).toBe('json/plain');
    expect(JSON.parse(data)).toMatchObject([{ type: 'identify', traits: { email: secret.email, phone: secret.phone } }]);
    const [rawEncoding, rawData] = await show([]);
    expect(rawEncoding).toBe('binary/encrypted');
    expect(rawData).not.toContain(secret.email);
  });
});

describe('(c) export and erase', () => {
  test('export returns profile, consent, events, ledger, journeys and the executions, decoded', async () => {
    const data = await exportCustomer(engine.client, secret.id);
    expect(data.profile.identities).toMatchObject({ email: secret.email, phone: secret.phone });
    expect(data.profile.traits).toMatchObject({ firstName: secret.firstName });
    expect(data.consent).toEqual(expect.objectContaining({ channels: expect.any(Object), topics: expect.any(Object) }));
    expect(data.events.received).toBe(2);
    expect(data.events.recent.map((e) => e.name)).toEqual(['identify', 'user.signed_up']);
    expect(data.ledger).toEqual([expect.objectContaining({ template: 'welcome/hello', status: 'sent', channel: 'email', to: secret.email })]);
    expect(data.journeys).toEqual([expect.objectContaining({ workflowId: `journey:welcome:${secret.id}`, journey: 'welcome', status: 'running' })]);
    expect(data.workflows.map((w) => [w.workflowId, w.status]).sort()).toEqual([
      [`customer:${secret.id}`, 'RUNNING'],
      [`journey:welcome:${secret.id}`, 'RUNNING'],
    ]);
  });

  test('`omnijourney export` prints the same as JSON, through the configured codec', async () => {
    const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, OMNIJOURNEY_DATA_DIR: join(tmp, 'data') };
    const { stdout } = await run(process.execPath, [join(root, 'bin', 'omnijourney.mjs'), 'export', secret.id], { env, cwd: root, timeout: 60_000 });
    const data = JSON.parse(stdout);
    expect(data.profile.identities.email).toBe(secret.email);
    expect(data.ledger[0]).toMatchObject({ template: 'welcome/hello', status: 'sent' });
    // Wrong keys: a clear error naming the key id, not garbage.
    const wrong = `other-k:${Buffer.alloc(32, 3).toString('base64')}`;
    await expect(
      run(process.execPath, [join(root, 'bin', 'omnijourney.mjs'), 'export', secret.id], { env: { ...env, PAYLOAD_KEYS: wrong }, cwd: root, timeout: 60_000 }),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('"test-k1", which is not configured'),
    });
  });

  test('erase terminates and deletes every execution of the customer; others are untouched; a new event starts afresh', async () => {
    const result = await eraseCustomer(engine.client, secret.id);
    expect(result).toMatchObject({ customerId: secret.id, terminated: 2, deleted: 2 });
    expect(result.executions.map((e) => e.workflowId)).toEqual([`customer:${secret.id}`, `journey:welcome:${secret.id}`]);

    for (const id of [`customer:${secret.id}`, `journey:welcome:${secret.id}`]) {
      await expect(engine.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
      await expect(engine.client.workflow.getHandle(id).fetchHistory()).rejects.toThrow();
    }
    const listed: string[] = [];
    for await (const w of engine.client.workflow.list({ query: customerQuery(secret.id) })) listed.push(w.workflowId);
    expect(listed).toEqual([]);
    await expect(exportCustomer(engine.client, secret.id)).rejects.toThrow(`no customer "${secret.id}"`);
    // Erasing again is harmless.
    expect(await eraseCustomer(engine.client, secret.id)).toMatchObject({ terminated: 0, deleted: 0 });

    // The control customer is still there.
    expect((await plain.client.workflow.getHandle(`customer:${control.id}`).describe()).status.name).toBe('RUNNING');

    // A new event for the same ID: a fresh, empty customer.
    await engine.send({ customerId: secret.id, name: 'page.viewed', properties: {} });
    const state = await eventually(
      'the fresh customer',
      async () => {
        const s = await engine.client.workflow.getHandle(`customer:${secret.id}`).query(stateQuery);
        return s.eventsReceived === 1 && s;
      },
      { timeoutMs: 30_000, intervalMs: 200, retryErrors: true },
    );
    expect(state.traits).toEqual({});
    expect(state.identities.email).toBeUndefined();
    expect(state.ledger).toEqual([]);
    expect(state.journeys).toEqual({});
  });

  test('`omnijourney erase --yes` does the same from the command line and says what it did', async () => {
    const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, OMNIJOURNEY_DATA_DIR: join(tmp, 'data') };
    const { stdout } = await run(process.execPath, [join(root, 'bin', 'omnijourney.mjs'), 'erase', control.id, '--yes'], { env, cwd: root, timeout: 90_000 });
    expect(stdout).toContain(`terminated and deleted  customer:${control.id}`);
    expect(stdout).toContain(`erased customer "${control.id}": terminated 2 running workflow(s), deleted 2 execution(s)`);
    expect(stdout).toContain(`A new event for "${control.id}" starts a fresh, empty customer.`);
    await expect(plain.client.workflow.getHandle(`customer:${control.id}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});
