import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export const workflowsPath = require.resolve('../workflows');

type BundleHook = Pick<BundleOptions, 'webpackConfigHook' | 'preloadModules'>;
/** worker/sharedZod.cjs: every bundle shares one copy of zod among its workflows. */
const { withSharedZod, SHARED_ZOD_FILES } = require('./sharedZod.cjs') as { withSharedZod: (options?: BundleHook) => BundleHook; SHARED_ZOD_FILES: string[] };

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error };

/** Bundles workflows/ (with journeys/ and sdk/) once; tests and simulate reuse the bundle across workers.
 *  `webpackConfigHook` lets the replay test swap a journey file for an edited copy (never cached). */
export function buildWorkflowBundle(options: Pick<BundleOptions, 'webpackConfigHook'> = {}): Promise<WorkflowBundleWithSourceMap> {
  if (options.webpackConfigHook) return bundleWorkflowCode({ workflowsPath, logger: quiet, ...withSharedZod(options) });
  return cachedBundle(() => bundleWorkflowCode({ workflowsPath, logger: quiet, ...withSharedZod() }));
}

const root = join(__dirname, '..');
/** What the bundle can contain: the folders workflows/ may import (test/unit/layering.test.ts) and the
 *  locked versions of the packages (the SDK, zod). */
export const BUNDLE_INPUTS = ['workflows', 'domain', 'sdk', 'journeys'];

/** A hash of every file the bundle can be built from: a change to any of them is a new bundle. */
export function bundleInputsHash(): string {
  const hash = createHash('sha256');
  const add = (path: string): void => {
    for (const name of readdirSync(path).sort()) {
      const p = join(path, name);
      if (statSync(p).isDirectory()) add(p);
      else hash.update(`${p.slice(root.length)}\0`).update(readFileSync(p));
    }
  };
  for (const dir of BUNDLE_INPUTS) add(join(root, dir));
  // How the bundle is built counts too: this file's options and the shared-zod loader.
  for (const file of [__filename, ...SHARED_ZOD_FILES]) hash.update(readFileSync(file));
  hash.update(readFileSync(join(root, 'package-lock.json')));
  return hash.digest('hex').slice(0, 32);
}

/**
 * `WORKFLOW_BUNDLE_CACHE=<folder>` keeps bundles on disk by the hash of their inputs, so the processes of a
 * test run (every test file, every worker process a fault test restarts, every CLI run) build it once
 * instead of each spending 2–4 s of CPU in webpack. Unset (production, `npm start`), nothing is cached.
 */
async function cachedBundle(build: () => Promise<WorkflowBundleWithSourceMap>): Promise<WorkflowBundleWithSourceMap> {
  const dir = process.env.WORKFLOW_BUNDLE_CACHE;
  if (!dir) return build();
  const file = join(dir, `${bundleInputsHash()}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as WorkflowBundleWithSourceMap;
  } catch {
    // Not built yet (or pruned by another process a moment ago): build it.
  }
  const bundle = await build();
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ code: bundle.code, sourceMap: bundle.sourceMap }));
  renameSync(tmp, file);
  pruneBundles(dir, 8);
  return bundle;
}

/** Keeps the `keep` newest bundles of a cache folder (each is a few MB; every edit of a journey makes one).
 *  Best effort: test processes prune side by side, and a file another one removed first is simply gone. */
function pruneBundles(dir: string, keep: number): void {
  const mtime = (path: string): number => {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return 0;
    }
  };
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ path: join(dir, f), mtime: mtime(join(dir, f)) }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { path } of files.slice(keep)) rmSync(path, { force: true });
}

/** The same bundle, built in a worker thread: webpack's memory (about 90 MB of RSS that a Node process keeps
 *  once it has grown) goes away with the thread instead of staying in the worker process for its lifetime.
 *  What worker/main.ts uses (docs/benchmarks.md). */
export function buildWorkflowBundleInThread(): Promise<WorkflowBundleWithSourceMap> {
  return cachedBundle(bundleInThread);
}

function bundleInThread(): Promise<WorkflowBundleWithSourceMap> {
  return new Promise((resolve, reject) => {
    const thread = new Thread(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { bundleWorkflowCode } = require(workerData.sdk);
       const { withSharedZod } = require(workerData.sharedZod);
       const logger = { log() {}, trace() {}, debug() {}, info() {}, warn: (m, meta) => console.warn(m, meta ?? ''), error: (m, meta) => console.error(m, meta ?? '') };
       bundleWorkflowCode({ workflowsPath: workerData.workflowsPath, logger, ...withSharedZod() }).then(
         (bundle) => parentPort.postMessage({ bundle }),
         (err) => parentPort.postMessage({ error: String(err && err.stack || err) }),
       );`,
      { eval: true, workerData: { workflowsPath, sdk: require.resolve('@temporalio/worker'), sharedZod: require.resolve('./sharedZod.cjs') } },
    );
    thread.once('message', (m: { bundle?: WorkflowBundleWithSourceMap; error?: string }) => {
      void thread.terminate();
      if (m.bundle) resolve(m.bundle);
      else reject(new Error(`bundling the workflows failed: ${m.error}`));
    });
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`the bundling thread exited (code ${code}) without a bundle`)));
  });
}
