import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DeliveryActivities } from '../activities/types';
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
  /** Workflows kept in memory between tasks (WORKER_MAX_CACHED_WORKFLOWS); unset: the SDK's default, which
   *  grows with the heap size (about 2,300 on a 4 GB heap, at roughly 1 to 1.5 MB of RSS each). */
  maxCachedWorkflows?: number;
}

export async function createEngineWorker(o: EngineWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    activities: o.activities,
    ...(o.payloadCodecs?.length ? { dataConverter: { payloadCodecs: o.payloadCodecs } } : {}),
    workflowBundle: o.workflowBundle ?? (await buildWorkflowBundleInThread()),
    ...(o.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: o.maxCachedWorkflows } : {}),
  });
}
