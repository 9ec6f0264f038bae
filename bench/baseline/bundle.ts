import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error };

/** The baseline workflows, bundled on their own (nothing of workflows/ or journeys/ in it). */
export function buildBaselineBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quiet });
}
