// `npm start`: the whole engine on one machine. Starts and supervises the Temporal dev server (SQLite
// file under the data folder, web UI), a local SMTP server with a web inbox (MailDev), the worker and the
// HTTP ingest API;
// prints where each is, prefixes their logs, and stops them all on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { ConfigError, DEV_WRITE_KEY, loadConfig, temporalAddress } from '../config/config';
import { devServerSearchAttributeArgs } from '../worker/searchAttributes';
import { devServerEraseArgs } from '../privacy/devServer';
import { describePayloadKeys, resolvePayloadKeys } from '../config/payloadKeys';
import { maildevArgs } from './maildev';

const root = resolve(__dirname, '..');
const children: Array<{ name: string; proc: ChildProcess }> = [];
let stopping = false;

const colors = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m'];
function prefixed(name: string, i: number, chunk: Buffer, stream: NodeJS.WriteStream, keep: (line: string) => boolean = () => true): void {
  const tag = process.stdout.isTTY ? `${colors[i % colors.length]}${name.padEnd(8)}\x1b[0m` : name.padEnd(8);
  for (const line of chunk.toString().split('\n')) if (line.trim() && keep(line)) stream.write(`${tag} │ ${line}\n`);
}

function startChild(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, keep?: (line: string) => boolean): ChildProcess {
  const i = children.length;
  const proc = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (c: Buffer) => prefixed(name, i, c, process.stdout, keep));
  proc.stderr?.on('data', (c: Buffer) => prefixed(name, i, c, process.stderr, keep));
  proc.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`\n${name} exited (${signal ?? code}). Stopping everything; fix the error above and run npm start again.`);
    void stopAll(1);
  });
  children.push({ name, proc });
  return proc;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

async function waitForPort(name: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline) throw new Error(`${name} did not open port ${port} within ${timeoutMs / 1000}s (see its log above)`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function requireFree(name: string, port: number, envVar: string): Promise<void> {
  if (await portOpen(port)) {
    throw new Error(`port ${port} for ${name} is already in use (another npm start?). Stop that process or set ${envVar} to a free port.`);
  }
}

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  // Worker first (finishes its tasks), then the servers.
  for (const { proc } of [...children].reverse()) proc.kill('SIGTERM');
  const exited = children.map(
    ({ proc }) => new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r()))),
  );
  const timeout = new Promise<void>((r) => setTimeout(r, 10_000).unref());
  await Promise.race([Promise.all(exited), timeout]);
  for (const { proc } of children) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  process.exit(code);
}

async function main(): Promise<void> {
  // What the worker and the API will each check, in one message before anything starts.
  const config = loadConfig(process.env, { role: ['api', 'worker'] });
  const dataDir = resolve(root, config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const bin = (name: string) => join(root, 'node_modules', '.bin', name);
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  // Payload encryption (README "Privacy"): without PAYLOAD_KEYS, a random development key is created once in
  // the data folder and reused; the worker, the API and the CLI read the same file.
  const payloadKeys = resolvePayloadKeys(config);
  console.log(describePayloadKeys(payloadKeys));
  // The Temporal UI decodes payloads through the API's codec endpoint (from the browser on this machine).
  const codecEndpoint = `http://127.0.0.1:${config.api.port}/codec`;

  if (!config.temporal.address) {
    const { temporalCliPath } = await import('../toolchain/tools.mjs');
    await requireFree('the Temporal server', config.temporal.port, 'TEMPORAL_PORT');
    await requireFree('the Temporal UI', config.temporal.uiPort, 'TEMPORAL_UI_PORT');
    startChild('temporal', temporalCliPath(), [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(config.temporal.port),
      '--ui-port',
      String(config.temporal.uiPort),
      '--namespace',
      config.temporal.namespace,
      '--db-filename',
      join(dataDir, 'temporal.sqlite'),
      '--log-level',
      'error',
      ...(payloadKeys ? ['--ui-codec-endpoint', codecEndpoint] : []),
      ...devServerEraseArgs(),
      ...devServerSearchAttributeArgs(),
    ]);
    console.log(`starting the Temporal dev server (state in ${join(config.dataDir, 'temporal.sqlite')})…`);
    await waitForPort('the Temporal dev server', config.temporal.port, 60_000);
  }

  const smtpIsLocal = config.smtp.host === '127.0.0.1' || config.smtp.host === 'localhost';
  if (smtpIsLocal) {
    await requireFree('the SMTP inbox', config.smtp.port, 'SMTP_PORT');
    await requireFree('the inbox web UI', config.smtp.inboxPort, 'MAILDEV_WEB_PORT');
    startChild('inbox', bin('maildev'), maildevArgs({ smtpPort: config.smtp.port, webPort: config.smtp.inboxPort, mailDirectory: join(dataDir, 'mail') }));
    await waitForPort('MailDev', config.smtp.port, 30_000);
  }

  // Twilio's API mocked from its OpenAPI spec: SMS go through the real twilio client to Prism (README "Channels").
  const sms = config.channels.sms;
  if (sms.usesPrism) {
    await requireFree('Prism (the Twilio mock)', sms.prismPort, 'PRISM_PORT');
    startChild(
      'prism',
      bin('prism'),
      ['mock', '-h', '127.0.0.1', '-p', String(sms.prismPort), join('vendor', 'twilio-oai', 'twilio_api_v2010.json')],
      { FORCE_COLOR: '0' },
      // Not the few hundred routes Prism lists at start-up; requests and errors stay.
      (line) => !/\[CLI\].*info\s+(GET|POST|PUT|DELETE|PATCH)\s+http/.test(line),
    );
    console.log('starting Prism, the Twilio mock (reading the API spec takes a few seconds)…');
    await waitForPort('Prism', sms.prismPort, 60_000);
  }

  startChild('worker', bin('tsx'), [join('worker', 'main.ts')]);

  // The HTTP ingest API (api/main.ts). Its port is checked on 127.0.0.1 when it listens there.
  const apiLocal = ['127.0.0.1', 'localhost', '0.0.0.0', '::'].includes(config.api.host);
  const apiUrl = `http://${apiLocal ? '127.0.0.1' : config.api.host}:${config.api.port}`;
  if (apiLocal) await requireFree('the ingest API', config.api.port, 'API_PORT');
  startChild('api', bin('tsx'), [join('api', 'main.ts')]);
  if (apiLocal) await waitForPort('the ingest API', config.api.port, 30_000);

  const lines = [
    '',
    'omnijourney is running',
    config.temporal.address
      ? `  Temporal        ${temporalAddress(config)} (namespace ${config.temporal.namespace})`
      : `  Temporal UI     http://localhost:${config.temporal.uiPort}   (server ${temporalAddress(config)})`,
    smtpIsLocal
      ? `  Email inbox     http://localhost:${config.smtp.inboxPort}   (SMTP 127.0.0.1:${config.smtp.port})`
      : `  SMTP relay      ${config.smtp.host}:${config.smtp.port}`,
    sms.usesPrism
      ? `  SMS (Twilio)    Prism mock on http://127.0.0.1:${sms.prismPort}   (requests in the "prism" log lines; nothing is texted)`
      : `  SMS (Twilio)    ${sms.apiBaseUrl ?? 'https://api.twilio.com'}   (from ${sms.from})`,
    `  Webhook         ${config.channels.webhook ? new URL(config.channels.webhook.url).origin : 'not configured (WEBHOOK_URL)'}`,
    `  Slack           ${config.channels.slack ? 'incoming webhook configured' : 'not configured (SLACK_WEBHOOK_URL)'}`,
    `  Ingest API      ${apiUrl}   (write key ${config.api.usesDevKey ? `${DEV_WRITE_KEY}, for local use only` : 'one of API_WRITE_KEYS'}; docs ${apiUrl}/openapi.json)`,
    ...(config.channels.usesDevPreferencesSecret ? ['  Note            unsubscribe links are signed with the development PREFERENCES_SECRET'] : []),
    payloadKeys
      ? `  Payloads        encrypted with key "${payloadKeys.keys[0].id}" (${payloadKeys.from === 'PAYLOAD_KEYS' || !payloadKeys.from.startsWith(root) ? payloadKeys.from : relative(root, payloadKeys.from)}); the UI decodes them through ${codecEndpoint}`
      : '  Payloads        NOT encrypted (PAYLOAD_ENCRYPTION=off)',
    '',
    'See it work (in another terminal): npm run demo   (sample customers: mails in the inbox, an SMS at the mock, journeys in the UI)',
    '',
    'Send a sample event (in another terminal):',
    '  npx omnijourney identify ada --traits \'{"email":"ada@example.com","firstName":"Ada"}\'',
    '  npx omnijourney event ada user.signed_up --properties \'{"plan":"pro"}\'',
    '',
    'or over HTTP, through the ingest API:',
    `  curl -u ${config.api.usesDevKey ? DEV_WRITE_KEY : '$WRITE_KEY'}: -H 'content-type: application/json' ${apiUrl}/v1/track \\`,
    '    -d \'{"userId":"ada","event":"user.signed_up","properties":{"plan":"pro"},"messageId":"ada-signup-1"}\'',
    '',
    'Ctrl-C stops everything; state survives in the data folder.',
    '',
  ];
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(`\nnpm start failed: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
  void stopAll(1);
});
