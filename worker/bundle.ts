import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export const workflowsPath = require.resolve('../workflows');

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error };

/** Bundles workflows/ (with journeys/ and sdk/) once; tests and simulate reuse the bundle across workers.
 *  `webpackConfigHook` lets the replay test swap a journey file for an edited copy. */
export function buildWorkflowBundle(options: Pick<BundleOptions, 'webpackConfigHook'> = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quiet, ...options });
}
