import { Worker as Thread } from 'node:worker_threads';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export const workflowsPath = require.resolve('../workflows');

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error };

/** Bundles workflows/ (with journeys/ and sdk/) once; tests and simulate reuse the bundle across workers.
 *  `webpackConfigHook` lets the replay test swap a journey file for an edited copy. */
export function buildWorkflowBundle(options: Pick<BundleOptions, 'webpackConfigHook'> = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quiet, ...options });
}

/** The same bundle, built in a worker thread: webpack's memory (about 90 MB of RSS that a Node process keeps
 *  once it has grown) goes away with the thread instead of staying in the worker process for its lifetime.
 *  What worker/main.ts uses (docs/benchmarks.md). */
export function buildWorkflowBundleInThread(): Promise<WorkflowBundleWithSourceMap> {
  return new Promise((resolve, reject) => {
    const thread = new Thread(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { bundleWorkflowCode } = require(workerData.sdk);
       const logger = { log() {}, trace() {}, debug() {}, info() {}, warn: (m, meta) => console.warn(m, meta ?? ''), error: (m, meta) => console.error(m, meta ?? '') };
       bundleWorkflowCode({ workflowsPath: workerData.workflowsPath, logger }).then(
         (bundle) => parentPort.postMessage({ bundle }),
         (err) => parentPort.postMessage({ error: String(err && err.stack || err) }),
       );`,
      { eval: true, workerData: { workflowsPath, sdk: require.resolve('@temporalio/worker') } },
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
