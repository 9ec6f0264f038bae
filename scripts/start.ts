// `npm start`: the whole engine on one machine. Starts and supervises PostgreSQL (the store of facts, unless
// DATABASE_URL names one), the Temporal dev server (SQLite file under the data folder, web UI), a local SMTP
// server with a web inbox (MailDev), the worker and the HTTP ingest API;
// prints where each is, prefixes their logs, and stops them all on Ctrl-C.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { ConfigError, DEV_OPERATOR_TOKEN, DEV_WRITE_KEY, loadConfig, temporalAddress } from '../config/config';
import type { PostgresProcess } from '../harness/postgresProcess';
import { redact } from '../store/migrate';
import { devServerSearchAttributeArgs } from '../worker/searchAttributes';
import { devServerEraseArgs } from '../privacy/devServer';
import { describePayloadKeys, resolvePayloadKeys } from '../config/payloadKeys';
import { maildevArgs } from './maildev';

const root = resolve(__dirname, '..');
const children: Array<{ name: string; proc: ChildProcess }> = [];
let postgres: PostgresProcess | undefined;
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
  // The database last, after the worker has shipped its last facts (a fast shutdown: SIGINT).
  await postgres?.stop().catch((err: Error) => console.error(`stopping PostgreSQL: ${err.message}`));
  process.exit(code);
}

const alive = (pid: number | undefined): boolean => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** As root, the server runs as the `postgres` user (harness/postgresProcess.ts), which must be able to enter
 *  every folder above its data and own the cluster. Checked first, so the error says what to do instead of
 *  PostgreSQL's "permission denied" halfway through. */
function checkPostgresCanUse(dir: string): void {
  if (process.getuid?.() !== 0) return;
  let user: { uid: number; gid: number } | undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
    user = { uid: id('-u'), gid: id('-g') };
  } catch {
    // Created on first start with a group of its own: only the "others" bits will let it in.
  }
  for (let d = dirname(dir); ; d = dirname(d)) {
    const st = statSync(d);
    const bit = user && st.uid === user.uid ? 0o100 : user && st.gid === user.gid ? 0o010 : 0o001;
    if (!(st.mode & bit)) {
      throw new Error(
        `PostgreSQL cannot reach its data in ${dir}: npm start runs as root, so the server runs as the "postgres" user, ` +
          `and that user may not enter ${d} (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${st.uid}). ` +
          `Do one of: let it in (chmod o+x ${d}); keep the data where it can reach (e.g. OMNIJOURNEY_DATA_DIR=/var/lib/omnijourney); ` +
          'run npm start as an ordinary user; or set DATABASE_URL to a PostgreSQL server of your own.',
      );
    }
    if (d === dirname(d)) break;
  }
  const data = join(dir, 'data');
  if (user && existsSync(data) && statSync(data).uid !== user.uid) {
    throw new Error(
      `the PostgreSQL cluster in ${data} belongs to uid ${statSync(data).uid}, but as root npm start runs the server as the "postgres" user (uid ${user.uid}). ` +
        `Give it the folder (chown -R postgres:postgres ${dir}), or start npm start as the user who created it.`,
    );
  }
}

/** PostgreSQL from the npm package, its data in <data folder>/postgres, on POSTGRES_PORT (docs/operations.md "Facts"). */
async function startPostgres(dir: string, shownDir: string, port: number): Promise<string> {
  if (await portOpen(port)) {
    const pidFile = join(dir, 'data', 'postmaster.pid');
    const left = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : undefined;
    throw new Error(
      alive(left)
        ? `PostgreSQL from an earlier npm start still runs on port ${port} (pid ${left}): stop it with  kill -INT ${left}  and run npm start again`
        : `port ${port} for PostgreSQL is already in use (another npm start?). Stop that process or set POSTGRES_PORT to a free port.`,
    );
  }
  checkPostgresCanUse(dir);
  console.log(`starting PostgreSQL (data in ${shownDir})…`);
  const { startPostgresProcess } = await import('../harness/postgresProcess');
  postgres = await startPostgresProcess(dir, { port });
  console.log(`PostgreSQL ready: ${redact(postgres.url)}`);
  // The server is not a child of startChild's: watch it the same way.
  const pid = postgres.pid();
  setInterval(() => {
    if (stopping || alive(pid)) return;
    console.error(`\npostgres exited. Stopping everything; run npm start again (its data stays in ${shownDir}).`);
    void stopAll(1);
  }, 1000).unref();
  return postgres.url;
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

  // The store of facts (docs/operations.md "Facts"): DATABASE_URL, or our own PostgreSQL; the worker and the API get its URL.
  const postgresDir = join(config.dataDir, 'postgres');
  const databaseUrl = config.store.databaseUrl ?? (await startPostgres(join(dataDir, 'postgres'), postgresDir, config.store.postgresPort));
  const storeEnv = { DATABASE_URL: databaseUrl };

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

  startChild('worker', bin('tsx'), [join('worker', 'main.ts')], storeEnv);

  // The HTTP ingest API (api/main.ts). Its port is checked on 127.0.0.1 when it listens there.
  const apiLocal = ['127.0.0.1', 'localhost', '0.0.0.0', '::'].includes(config.api.host);
  const apiUrl = `http://${apiLocal ? '127.0.0.1' : config.api.host}:${config.api.port}`;
  if (apiLocal) await requireFree('the ingest API', config.api.port, 'API_PORT');
  startChild('api', bin('tsx'), [join('api', 'main.ts')], storeEnv);
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
    `  Dashboard       ${apiUrl}/dashboard   (operator token ${config.api.usesDevOperatorToken ? `${DEV_OPERATOR_TOKEN}, for local use only` : 'one of OPERATOR_TOKENS'})`,
    config.store.databaseUrl
      ? `  Facts           ${redact(databaseUrl)}   (DATABASE_URL)`
      : `  Facts           PostgreSQL ${redact(databaseUrl)}   (data in ${postgresDir}, password in ${join(postgresDir, 'password')})`,
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
