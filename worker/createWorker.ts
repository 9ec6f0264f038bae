import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DeliveryActivities } from '../domain/delivery';
import type { Fact } from '../domain/facts';
import { buildWorkflowBundleInThread } from './bundle';

export interface EngineWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: DeliveryActivities;
  /** A prebuilt bundle (tests, simulate); otherwise workflows/ is bundled at start, in a worker thread. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Payload encryption (privacy/codec.ts). Every client that talks to these workflows needs the same keys. */
  payloadCodecs?: PayloadCodec[];
  /** Workflows kept in memory between tasks (WORKER_MAX_CACHED_WORKFLOWS); unset: DEFAULT_MAX_CACHED_WORKFLOWS. */
  maxCachedWorkflows?: number;
  /** Where the workflows' facts go (worker/facts.ts: the spool, then PostgreSQL). Unset: facts are dropped
   *  (simulate, tests of other things, a worker without DATABASE_URL). */
  recordFact?: (fact: Fact) => void | Promise<void>;
}

/**
 * The workflow cache when WORKER_MAX_CACHED_WORKFLOWS is unset. The SDK's own default grows with the heap
 * limit (about 2,300 workflows on a machine with Node's 4 GB heap), and every cached workflow of the engine
 * holds its own copy of workflows/, journeys/ and zod (about 1.1 MB of heap each), so a worker grew to 3–4 GB
 * of RSS with 1,000 idle customers (two workflows each). A fixed cache keeps the worker's memory flat however
 * many customers wait; a workflow that is not cached replays its history on its next task, which only
 * matters when more than this many workflows are busy at the same moment (docs/benchmarks.md).
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 250;

export async function createEngineWorker(o: EngineWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    activities: o.activities,
    ...(o.payloadCodecs?.length ? { dataConverter: { payloadCodecs: o.payloadCodecs } } : {}),
    workflowBundle: o.workflowBundle ?? (await buildWorkflowBundleInThread()),
    maxCachedWorkflows: o.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    // The SDK calls sinks after each activation and before it reports the workflow task, and not when it
    // replays history (callDuringReplay: false): a fact is recorded once per task that Temporal accepts.
    sinks: { facts: { record: { fn: (_info, fact: Fact) => o.recordFact?.(fact), callDuringReplay: false } } },
  });
}
