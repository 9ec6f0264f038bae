// Entry point of `npm start`, `npm test` and `npm run setup`: installs what is missing (npm packages,
// the Temporal CLI, the time-skipping test server) into caches, then runs the real command.
// Plain Node with no dependencies, because it runs before node_modules exists.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SetupError, ensureChromium, ensureNodeModules, ensureSchemathesis, ensureTemporalCli, ensureTestServer, repoRoot } from '../toolchain/tools.mjs';

const [command, ...rest] = process.argv.slice(2);

function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, ...env } });
    const forward = (sig) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** Runs a command with its output kept (printed by the caller), resolving with its exit code and output. */
function runCaptured(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env: process.env });
    let out = '';
    child.stdout.on('data', (d) => void (out += d));
    child.stderr.on('data', (d) => void (out += d));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);

/** Chromium for the browser test. Without it the other tests still run, and the browser test fails with
 *  the same message (it never skips). */
async function ensureBrowser() {
  try {
    await ensureChromium();
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    process.stderr.write(`[setup] ${err.message}\n[setup] continuing: test/integration/preferences.browser.test.ts will fail until Chromium is installed\n`);
  }
}

/** schemathesis (PyPI, into a venv in the cache) for the property-based test of the API. Without it the other
 *  tests still run, and schemathesis.devserver.test.ts fails with the same message (it never skips). */
async function ensurePropertyTester() {
  try {
    await ensureSchemathesis();
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    process.stderr.write(
      `[setup] ${err.message}\n[setup] continuing: test/integration/schemathesis.devserver.test.ts will fail until schemathesis is installed\n`,
    );
  }
}

async function main() {
  const [major] = process.versions.node.split('.').map(Number);
  if (major < 20) throw new SetupError(`omnijourney needs Node.js 20 or newer; this is ${process.version}. Install a current Node.js and run again.`);
  switch (command) {
    case 'setup': {
      ensureNodeModules();
      await ensureTemporalCli();
      await ensureTestServer();
      await ensureBrowser();
      await ensurePropertyTester();
      return 0;
    }
    case 'start': {
      ensureNodeModules();
      if (!process.env.TEMPORAL_ADDRESS) await ensureTemporalCli();
      return run(bin('tsx'), [join('scripts', 'start.ts'), ...rest]);
    }
    case 'test': {
      ensureNodeModules();
      await ensureTemporalCli();
      await ensureTestServer();
      await ensureBrowser();
      await ensurePropertyTester();
      process.stderr.write('[test] lint and format (biome check; `npm run format` fixes the formatting)…\n');
      const lint = await run(bin('biome'), ['check', '--error-on-warnings', '.']);
      if (lint !== 0) return lint;
      // The type check runs beside Jest rather than before it: the suite is CPU-bound on two cores, but not in
      // every second, and tsc's half minute fits in its gaps. A type error is printed as soon as tsc ends and
      // fails npm test at the end (`npm run typecheck` alone is the quick way to see it).
      process.stderr.write('[test] type-checking (tsc --noEmit) beside the tests…\n');
      const typecheck = runCaptured(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']).then((tsc) => {
        if (tsc.code !== 0) process.stderr.write(`\n[test] tsc found type errors; npm test will fail when the tests end:\n${tsc.out}\n`);
        return tsc;
      });
      const jest = await run(bin('jest'), ['--ci', ...rest]);
      const tsc = await typecheck;
      if (tsc.code !== 0) {
        process.stderr.write(`\n[test] failed: type errors (tsc --noEmit):\n${tsc.out}\n`);
        return tsc.code;
      }
      return jest;
    }
    default:
      throw new SetupError(`unknown command "${command}": use setup, start or test`);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`\n${err instanceof SetupError ? err.message : err.stack}\n`);
    process.exit(1);
  },
);
