// Production mode with real processes, started the way production starts them: `tsx api/main.ts`,
// `tsx worker/main.ts` and `bin/omnijourney.mjs`. With NODE_ENV=production and no secrets each must exit at once,
// non-zero, naming every variable it is missing; outside production, an API whose PUBLIC_URL or API_HOST is not
// a loopback address must refuse the public development secrets; with every secret set, the API and the worker
// start against a real Temporal dev server and the development write key no longer opens ingest.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_WRITE_KEY } from '../../config/config';
import { startApiProcess, type ApiProcess } from '../../harness/apiProcess';
import { eventually } from '../helpers/eventually';
import { postJson, reliabilityLine } from '../helpers/faults';
import { TEST_PAYLOAD_KEYS } from '../helpers/privacy';
import { freePort, startTemporalProcess, type TemporalProcess } from '../../harness/temporalProcess';
import { startWorkerProcess, type WorkerProcess } from '../../harness/workerProcess';

const root = join(__dirname, '..', '..');

/** Whatever the shell running the tests has set of these is left out, so each run starts from nothing. */
const CONTROLLED = [
  'NODE_ENV',
  'OMNIJOURNEY_ENV',
  'API_HOST',
  'PUBLIC_URL',
  'TEMPORAL_ADDRESS',
  'API_WRITE_KEYS',
  'PREFERENCES_SECRET',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_API_BASE_URL',
  'PHONE_LOOKUP_SECRET',
  'PAYLOAD_ENCRYPTION',
  'PAYLOAD_KEYS',
  'CODEC_AUTH_TOKEN',
  'OPERATOR_TOKENS',
  'DATABASE_URL',
  'WEBHOOK_URL',
  'WEBHOOK_SECRET',
];

const SECRETS = {
  API_WRITE_KEYS: 'wk_production_mode_0123456789',
  PREFERENCES_SECRET: 'production-mode-preferences-0123456789',
  TWILIO_ACCOUNT_SID: `AC${'cd'.repeat(16)}`,
  TWILIO_AUTH_TOKEN: 'production-mode-twilio-token-0123',
  PHONE_LOOKUP_SECRET: 'production-mode-lookup-0123456789',
  PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
  CODEC_AUTH_TOKEN: 'production-mode-codec-token-0123456789',
  OPERATOR_TOKENS: 'production-mode-operator-token-0123456789',
};

const API_NEEDS = ['API_WRITE_KEYS', 'PREFERENCES_SECRET', 'TWILIO_AUTH_TOKEN', 'PHONE_LOOKUP_SECRET', 'PAYLOAD_KEYS', 'CODEC_AUTH_TOKEN', 'OPERATOR_TOKENS'];
const WORKER_NEEDS = ['PREFERENCES_SECRET', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'PAYLOAD_KEYS'];
const CLI_NEEDS = ['PREFERENCES_SECRET', 'PHONE_LOOKUP_SECRET', 'PAYLOAD_KEYS'];

let tmp: string;
let dataDir: string;
/** Ports nothing listens on: a process that did not refuse would fail to reach Temporal here, not someone's server. */
let deadTemporalPort: number;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'omnijourney-production-'));
  dataDir = join(tmp, 'data');
  deadTemporalPort = await freePort();
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function env(extra: Record<string, string>): Promise<NodeJS.ProcessEnv> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONTROLLED) delete base[name];
  return {
    ...base,
    OMNIJOURNEY_DATA_DIR: dataDir,
    TEMPORAL_PORT: String(deadTemporalPort),
    API_PORT: String(await freePort()),
    WORKER_METRICS_PORT: '0',
    ...extra,
  };
}

interface Exit {
  code: number | null;
  output: string;
  ms: number;
}

/** Runs a command to its end (or kills its process group after `timeoutMs`). */
function runToExit(command: string, args: string[], processEnv: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Exit> {
  const started = Date.now();
  const proc = spawn(command, args, { cwd: root, env: processEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms]`;
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

const tsx = join(root, 'node_modules', '.bin', 'tsx');
const runApi = async (extra: Record<string, string>) => runToExit(tsx, [join(root, 'api', 'main.ts')], await env(extra));
const runWorker = async (extra: Record<string, string>) => runToExit(tsx, [join(root, 'worker', 'main.ts')], await env(extra));
const runCli = async (extra: Record<string, string>, ...argv: string[]) =>
  runToExit(process.execPath, [join(root, 'bin', 'omnijourney.mjs'), ...argv], await env(extra));

/** The variables the refusal has a line for. */
const named = (output: string): string[] => [...output.matchAll(/^ {2}([A-Z_]+): /gm)].map((m) => m[1]);

test('NODE_ENV=production without secrets: the API, the worker and the CLI exit at once, each naming every variable it needs', async () => {
  const [api, worker, cli, offline] = await Promise.all([
    runApi({ NODE_ENV: 'production' }),
    runWorker({ NODE_ENV: 'production' }),
    runCli({ NODE_ENV: 'production' }, 'event', 'prod-check', 'user.signed_up'),
    runCli({ NODE_ENV: 'production' }, 'journeys', '--offline'),
  ]);
  reliabilityLine(
    `production mode without secrets: API exit ${api.code} after ${api.ms} ms naming ${named(api.output).length}, worker exit ${worker.code} after ${worker.ms} ms naming ${named(worker.output).length}, CLI exit ${cli.code} after ${cli.ms} ms naming ${named(cli.output).length}`,
  );
  expect({ code: api.code, named: named(api.output) }).toEqual({ code: 1, named: API_NEEDS });
  expect(api.output).toMatch(/^ingest API stopped: invalid configuration for production mode \(NODE_ENV=production\):\n/m);
  expect(api.output).toContain('Fix these environment variables (see README "Configuration").');
  expect(api.output).not.toContain('ingest API on');
  expect({ code: worker.code, named: named(worker.output) }).toEqual({ code: 1, named: WORKER_NEEDS });
  expect(worker.output).toMatch(/^worker stopped: invalid configuration for production mode \(NODE_ENV=production\):\n/m);
  expect({ code: cli.code, named: named(cli.output) }).toEqual({ code: 2, named: CLI_NEEDS });
  expect(cli.output).toMatch(/^error: invalid configuration for production mode/m);
  // Each line says what to set.
  for (const run of [api, worker, cli]) {
    for (const line of run.output.split('\n').filter((l) => /^ {2}[A-Z_]+: /.test(l)))
      expect(line).toMatch(/required in production mode \(NODE_ENV=production\); .+\. (Set|Create) /);
  }
  // Quickly: before connecting anywhere or creating a development key file.
  for (const run of [api, worker, cli]) expect(run.ms).toBeLessThan(30_000);
  expect(existsSync(join(dataDir, 'payload-key'))).toBe(false);
  // `journeys --offline` reads no configuration: it still lists the journeys.
  expect(offline.code).toBe(0);
  expect(offline.output).toMatch(/^welcome\s+v\d+\s+trigger user\.signed_up/m);
}, 120_000);

test('outside production, an API reachable from elsewhere refuses the public development secrets: https://127.attacker.example, 0.0.0.0', async () => {
  const [attacker, allInterfaces, loopback] = await Promise.all([
    runApi({ PUBLIC_URL: 'https://127.attacker.example' }),
    runApi({ API_HOST: '0.0.0.0' }),
    // The same with a loopback PUBLIC_URL gets past the configuration: it stops only for the signal below.
    (async () => {
      // Its own data folder: a development API creates the development payload key file.
      const e = await env({ PUBLIC_URL: 'http://[::1]:3000', OMNIJOURNEY_DATA_DIR: join(tmp, 'dev-data') });
      const proc = spawn(tsx, [join(root, 'api', 'main.ts')], { cwd: root, env: e, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
      proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      // optional: whether it got there is the assertion below (after the process is stopped either way).
      await eventually('the API to listen or exit', () => /ingest API on/.test(out) || proc.exitCode !== null, {
        timeoutMs: 60_000,
        intervalMs: 100,
        optional: true,
      });
      try {
        process.kill(-proc.pid!, 'SIGTERM');
      } catch {
        // gone
      }
      await exited;
      return out;
    })(),
  ]);
  reliabilityLine(
    `reachable API on development secrets: PUBLIC_URL=https://127.attacker.example exit ${attacker.code} after ${attacker.ms} ms naming ${named(attacker.output).join(',')}; API_HOST=0.0.0.0 exit ${allInterfaces.code} naming ${named(allInterfaces.output).join(',')}`,
  );
  expect({ code: attacker.code, named: named(attacker.output) }).toEqual({
    code: 1,
    named: ['API_WRITE_KEYS', 'PREFERENCES_SECRET', 'TWILIO_AUTH_TOKEN', 'PHONE_LOOKUP_SECRET', 'OPERATOR_TOKENS'],
  });
  expect(attacker.output).toContain(
    'TWILIO_AUTH_TOKEN: required when PUBLIC_URL (https://127.attacker.example) is not a loopback address, since the API can be reached from other machines',
  );
  expect({ code: allInterfaces.code, named: named(allInterfaces.output) }).toEqual({
    code: 1,
    named: ['API_WRITE_KEYS', 'PREFERENCES_SECRET', 'TWILIO_AUTH_TOKEN', 'PHONE_LOOKUP_SECRET', 'CODEC_AUTH_TOKEN', 'OPERATOR_TOKENS'],
  });
  expect(allInterfaces.output).toContain('CODEC_AUTH_TOKEN: required when API_HOST (0.0.0.0) is not a loopback address');
  expect(loopback).toMatch(/ingest API on http:\/\/127\.0\.0\.1:\d+/);
  expect(loopback).toContain('using the development write key');
}, 120_000);

describe('NODE_ENV=production with every secret set', () => {
  let temporal: TemporalProcess;
  let api: ApiProcess;
  let worker: WorkerProcess;
  let common: Record<string, string>;

  beforeAll(async () => {
    temporal = await startTemporalProcess(join(tmp, 'temporal.sqlite'));
    common = {
      NODE_ENV: 'production',
      ...SECRETS,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'production-mode',
      OMNIJOURNEY_DATA_DIR: dataDir,
      // Nothing may reach the real Twilio or someone's SMTP server: no journey here sends anything anyway.
      TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
      SMTP_PORT: String(await freePort()),
      WORKER_METRICS_PORT: '0',
    };
    [worker, api] = await Promise.all([startWorkerProcess(common), startApiProcess({ ...common, API_PORT: String(await freePort()) })]);
  }, 180_000);

  afterAll(async () => {
    await api?.stop();
    await worker?.kill('SIGTERM');
    await temporal?.stop();
  });

  test('the API and the worker start and say so; ingest takes the configured key, not the development one; the codec wants its token; the CLI sends', async () => {
    expect(api.output()).toContain('production mode: every secret this process uses is set, none is a development default');
    expect(api.output()).toContain('1 write key(s) configured');
    expect(worker.output()).toContain('production mode: every secret this process uses is set, none is a development default');
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);

    const event = { userId: 'prod-check', event: 'production.checked', properties: {} };
    expect((await postJson(api.url, '/v1/track', { ...event, messageId: 'prod-dev-key' }, DEV_WRITE_KEY)).status).toBe(401);
    expect((await postJson(api.url, '/v1/track', { ...event, messageId: 'prod-key' }, SECRETS.API_WRITE_KEYS)).status).toBe(200);
    const decode = (authorization?: string) =>
      fetch(`${api.url}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: '{"payloads":[]}',
      });
    expect((await decode()).status).toBe(401);
    expect((await decode(`Bearer ${SECRETS.CODEC_AUTH_TOKEN}`)).status).toBe(200);

    // The CLI, with the secrets it uses (and no write key, Twilio account or codec token).
    const cli = await runCli(
      {
        NODE_ENV: 'production',
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: 'production-mode',
        PREFERENCES_SECRET: SECRETS.PREFERENCES_SECRET,
        PHONE_LOOKUP_SECRET: SECRETS.PHONE_LOOKUP_SECRET,
        PAYLOAD_KEYS: SECRETS.PAYLOAD_KEYS,
      },
      'event',
      'prod-check',
      'production.checked',
      '--message-id',
      'prod-cli',
    );
    expect({ code: cli.code, output: cli.output }).toEqual({ code: 0, output: expect.stringMatching(/accepted track "production\.checked" for prod-check/) });
    reliabilityLine(
      'production mode with every secret: API and worker started on a dev server; development write key 401, configured key 200; /codec/decode 401 without its token, 200 with it; CLI event accepted',
    );
  }, 120_000);
});
