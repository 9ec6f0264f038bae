// Installs the two Temporal servers omnijourney runs on into a cache outside the clone, and reuses them:
//   - the Temporal CLI (dev server with SQLite and the web UI), built from the Go module proxy;
//   - Temporal's time-skipping test server, fetched from Maven Central.
// Plain Node (no dependencies) so it can run before `npm ci`. Versions live in package.json ("omnijourney").
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export function toolVersions() {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  return pkg.omnijourney;
}

export function cacheDir() {
  if (process.env.OMNIJOURNEY_CACHE) return process.env.OMNIJOURNEY_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'omnijourney');
}

export function temporalCliPath() {
  return join(cacheDir(), 'temporal-cli', toolVersions().temporalCli, 'temporal');
}

// Bump when the launcher or toolchain/test-server/pom.xml changes, so caches are rebuilt.
const TEST_SERVER_LAYOUT = 3;

export function testServerPath() {
  return join(cacheDir(), 'test-server', `${toolVersions().testServer}-${TEST_SERVER_LAYOUT}`, 'temporal-test-server');
}

function log(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

class SetupError extends Error {}
export { SetupError };

function requireCommand(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new SetupError(
      `${cmd} was not found or does not run (${r.error?.message ?? r.stderr?.trim()}).\n` +
        `  omnijourney needs it to ${what}. Install it (Debian/Ubuntu: ${installHint(cmd)}) and run the command again.`,
    );
  }
  return (r.stdout || r.stderr).trim();
}

function installHint(cmd) {
  return (
    {
      python3: 'apt-get install python3 python3-venv',
      go: 'apt-get install golang (Go >= 1.24)',
      java: 'apt-get install openjdk-17-jre-headless',
      mvn: 'apt-get install maven',
    }[cmd] ?? `install ${cmd}`
  );
}

/** Builds the Temporal CLI with `go install` through the Go module proxy, printing progress. */
export async function ensureTemporalCli() {
  const target = temporalCliPath();
  if (existsSync(target)) return target;
  const version = toolVersions().temporalCli;
  requireCommand('go', ['version'], 'build the Temporal CLI (dev server + UI) from the Go module proxy');
  const dir = dirname(target);
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(`building the Temporal CLI ${version} with 'go install' into ${dir}`);
  log('this happens once per machine and takes several minutes (downloads ~300 modules, compiles ~1,500 packages); later runs reuse it');
  const started = Date.now();
  let compiled = 0;
  let last = '';
  const child = spawn('go', ['install', '-v', `github.com/temporalio/cli/cmd/temporal@${version}`], {
    env: { ...process.env, GOBIN: staging, GOTOOLCHAIN: 'local', GOFLAGS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let downloads = 0;
  const tail = [];
  const onLine = (line) => {
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > 30) tail.shift();
    if (line.startsWith('go: downloading')) downloads += 1;
    else if (!line.startsWith('go:')) {
      compiled += 1;
      last = line.trim();
    }
  };
  let buf = '';
  const feed = (chunk) => {
    buf += chunk.toString();
    const lines = buf.split('\n');
    buf = lines.pop();
    lines.forEach(onLine);
  };
  child.stdout.on('data', feed);
  child.stderr.on('data', feed);
  const timer = setInterval(() => {
    const secs = Math.round((Date.now() - started) / 1000);
    log(`temporal CLI: ${secs}s, ${downloads} modules downloaded, ${compiled} packages compiled (of ~1,500)${last ? `, now ${last}` : ''}`);
  }, 15000);
  const code = await new Promise((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0 || !existsSync(join(staging, 'temporal'))) {
    throw new SetupError(
      `building the Temporal CLI failed (go install exited ${code}). Last lines:\n${tail.join('\n')}\n` +
        '  Check that the Go module proxy is reachable (go env GOPROXY) and that Go is 1.24 or newer, then run again.',
    );
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  log(`Temporal CLI ready in ${Math.round((Date.now() - started) / 1000)}s: ${target}`);
  return target;
}

/** Fetches the Java time-skipping test server from Maven Central and writes a small launcher. */
export async function ensureTestServer() {
  const target = testServerPath();
  if (existsSync(target)) return target;
  const version = toolVersions().testServer;
  requireCommand('java', ['-version'], 'run the time-skipping test server used by tests and `simulate`');
  requireCommand('mvn', ['-v'], 'fetch the time-skipping test server from Maven Central');
  const dir = dirname(target);
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'lib'), { recursive: true });
  log(`fetching Temporal's time-skipping test server ${version} from Maven Central into ${dir}`);
  const r = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(repoRoot, 'toolchain', 'test-server', 'pom.xml'),
      'dependency:copy-dependencies',
      `-Dtemporal.version=${version}`,
      `-DoutputDirectory=${join(staging, 'lib')}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const jars = existsSync(join(staging, 'lib')) ? readdirSync(join(staging, 'lib')) : [];
  if (r.status !== 0 || !jars.some((j) => j.startsWith('temporal-test-server'))) {
    throw new SetupError(
      `fetching the test server failed (mvn exited ${r.status}).\n${(r.stdout + r.stderr).split('\n').slice(-20).join('\n')}\n` +
        '  Check that Maven Central is reachable (mvn dependency:get -Dartifact=io.temporal:temporal-test-server:' +
        version +
        '), then run again.',
    );
  }
  // The SDK starts the server as `<exe> <port>` and waits only a few seconds for the port, so the launcher
  // is a plain exec with fast-start JVM flags, and turns time skipping on when only the port is given. With
  // the class archive beside it (below) the JVM maps the server's classes instead of loading them.
  const launcher = `#!/bin/sh
DIR="$(cd "$(dirname "$0")" && pwd)"
if [ "$#" -eq 1 ]; then set -- "$1" --enable-time-skipping; fi
if [ -f "$DIR/classes.jsa" ]; then
  exec java ${JVM_FLAGS} -XX:SharedArchiveFile="$DIR/classes.jsa" -Xlog:disable -cp "$DIR/lib/*" io.temporal.testserver.TestServer "$@"
fi
exec java ${JVM_FLAGS} -cp "$DIR/lib/*" io.temporal.testserver.TestServer "$@"
`;
  writeFileSync(join(staging, 'temporal-test-server'), launcher);
  chmodSync(join(staging, 'temporal-test-server'), 0o755);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  await buildClassArchive(dir);
  log(`test server ready: ${target}`);
  return target;
}

const JVM_FLAGS = '-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k';

/**
 * A class-data-sharing archive of the test server's classes (Java's dynamic CDS): every start then maps them
 * instead of loading and verifying them, 0.35 s of CPU instead of 0.9 s. The tests start the server some
 * forty times, `simulate` once per run. Made by one start and stop of the server in its final folder (the
 * archive records the class path); if anything goes wrong the launcher simply runs without it, and a JVM
 * that no longer matches the archive ignores it (-Xshare:auto, quietly with -Xlog:disable).
 */
async function buildClassArchive(dir) {
  const archive = join(dir, 'classes.jsa');
  const partial = `${archive}.partial`;
  try {
    const port = await freePort();
    const args = [
      ...JVM_FLAGS.split(' '),
      `-XX:ArchiveClassesAtExit=${partial}`,
      '-cp',
      `${join(dir, 'lib')}/*`,
      'io.temporal.testserver.TestServer',
      String(port),
      '--enable-time-skipping',
    ];
    const java = spawn('java', args, { stdio: 'ignore' });
    const exited = new Promise((resolve) => java.once('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (!(await canConnect(port))) {
      if (Date.now() > deadline || java.exitCode !== null) throw new Error('the test server did not listen');
      await new Promise((r) => setTimeout(r, 100));
    }
    java.kill('SIGTERM');
    await exited;
    renameSync(partial, archive);
  } catch (err) {
    rmSync(partial, { force: true });
    log(`no class archive for the test server (${err.message}); it starts a little slower without one`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** schemathesis (property-based testing of the ingest API against its /openapi.json), from PyPI into a
 *  virtual environment in the cache. Pinned: its checks and CLI flags change between versions. */
export const SCHEMATHESIS_VERSION = '4.32.5';

export function schemathesisPath() {
  return join(cacheDir(), 'schemathesis', SCHEMATHESIS_VERSION, 'venv', 'bin', 'st');
}

/** Creates <cache>/schemathesis/<version>/venv with `python3 -m venv` and pip-installs the pinned
 *  schemathesis into it, printing each step. Returns the path of its `st` command. A venv's scripts name
 *  their interpreter by absolute path, so it is built in place; a marker file says it is complete. */
export async function ensureSchemathesis() {
  const target = schemathesisPath();
  const venv = dirname(dirname(target));
  const marker = join(dirname(venv), 'installed');
  if (existsSync(target) && existsSync(marker)) return target;
  const python = process.env.PYTHON || 'python3';
  const pyVersion = requireCommand(python, ['--version'], `run schemathesis ${SCHEMATHESIS_VERSION} (the property-based test of the ingest API)`);
  rmSync(dirname(venv), { recursive: true, force: true });
  mkdirSync(dirname(venv), { recursive: true });
  const started = Date.now();
  log(`installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${venv} (${pyVersion}; once per machine, about a minute)`);
  log(`running: ${python} -m venv ${venv}`);
  let r = spawnSync(python, ['-m', 'venv', venv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) {
    throw new SetupError(
      `creating a Python virtual environment failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stdout ?? '') + (r.stderr ?? '')}\n` +
        '  schemathesis needs Python 3.9+ with the venv module (Debian/Ubuntu: apt-get install python3-venv), then run again.',
    );
  }
  const pip = join(venv, 'bin', 'pip');
  const args = ['install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', `schemathesis==${SCHEMATHESIS_VERSION}`];
  log(`running: ${pip} ${args.join(' ')}`);
  r = spawnSync(pip, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const installed = /Successfully installed .*/.exec(output)?.[0];
  if (installed) log(installed.length > 400 ? `${installed.slice(0, 400)}…` : installed);
  const check = r.status === 0 ? spawnSync(target, ['--version'], { encoding: 'utf8' }) : undefined;
  if (r.error || r.status !== 0 || !check || check.error || check.status !== 0) {
    throw new SetupError(
      `pip could not install schemathesis==${SCHEMATHESIS_VERSION} (${r.error?.message ?? check?.error?.message ?? `exit ${r.status}`}). Last lines:\n${output.split('\n').slice(-15).join('\n')}\n` +
        `  Check that PyPI is reachable (pip download --no-deps schemathesis==${SCHEMATHESIS_VERSION}), then run again.`,
    );
  }
  writeFileSync(marker, `${check.stdout.trim()}\n`);
  log(`schemathesis ready in ${Math.round((Date.now() - started) / 1000)}s: ${target} (${check.stdout.trim()})`);
  return target;
}

/** Where the browser test (test/integration/preferences.browser.test.ts) expects Debian's Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

function aptGet(args) {
  log(`running: apt-get ${args.join(' ')}`);
  const r = spawnSync('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { ok: !r.error && r.status === 0, output: r.error ? r.error.message : `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Finds Debian's Chromium for the browser test, or installs it with apt-get (`apt-get update` only if the
 *  first install fails, e.g. stale package lists). Throws a SetupError that says what to run otherwise. */
export async function ensureChromium() {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const hint = `Install it yourself (Debian/Ubuntu: sudo apt-get install -y chromium) so that ${CHROMIUM_PATH} exists, then run again.`;
  const apt = spawnSync('apt-get', ['--version'], { encoding: 'utf8' });
  if (apt.error || apt.status !== 0) {
    throw new SetupError(`Chromium is missing (${CHROMIUM_PATH}) and apt-get is not available to install it; the browser test needs it.\n  ${hint}`);
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new SetupError(`Chromium is missing (${CHROMIUM_PATH}); installing it needs root (apt-get install chromium) and this is not root.\n  ${hint}`);
  }
  log(`Chromium not found at ${CHROMIUM_PATH}: installing Debian's chromium package for the browser test (once per machine, about 100 MB)`);
  const started = Date.now();
  let r = aptGet(['install', '-y', '--no-install-recommends', 'chromium']);
  if (!r.ok) {
    log('apt-get install failed; refreshing the package lists (apt-get update) and trying again');
    const u = aptGet(['update']);
    if (!u.ok) log(`apt-get update failed:\n${u.output.split('\n').slice(-10).join('\n')}`);
    r = aptGet(['install', '-y', '--no-install-recommends', 'chromium']);
  }
  if (!r.ok || !existsSync(CHROMIUM_PATH)) {
    throw new SetupError(`installing Chromium failed. Last lines of apt-get:\n${r.output.split('\n').slice(-15).join('\n')}\n  ${hint}`);
  }
  log(`Chromium ready in ${Math.round((Date.now() - started) / 1000)}s: ${CHROMIUM_PATH}`);
  return CHROMIUM_PATH;
}

/** Installs npm packages when node_modules is missing or older than package-lock.json. */
export function ensureNodeModules() {
  const lock = join(repoRoot, 'package-lock.json');
  const stamp = join(repoRoot, 'node_modules', '.omnijourney-lock');
  const want = existsSync(lock) ? readFileSync(lock, 'utf8') : '';
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  log('installing npm packages (npm install, from package-lock.json)…');
  // Not 'npm ci': npm 11 rejects lockfiles that lack other platforms' optional binaries (@swc/core-*).
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) {
    throw new SetupError('npm could not install the packages (see above). Check that the npm registry is reachable, then run again.');
  }
  writeFileSync(stamp, want);
}

// `node toolchain/tools.mjs paths` prints where the servers are (for tests run without `npm test`);
// `node toolchain/tools.mjs schemathesis` installs schemathesis if needed and prints the path of `st`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv[2] === 'paths') {
    process.stdout.write(JSON.stringify({ temporalCli: temporalCliPath(), testServer: testServerPath(), schemathesis: schemathesisPath() }));
  } else if (process.argv[2] === 'schemathesis') {
    ensureSchemathesis().then(
      (path) => process.stdout.write(path),
      (err) => {
        process.stderr.write(`${err instanceof SetupError ? err.message : err.stack}\n`);
        process.exit(1);
      },
    );
  }
}
