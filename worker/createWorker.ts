import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DeliveryActivities } from '../activities/types';
import { workflowsPath } from './bundle';

export interface EngineWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: DeliveryActivities;
  /** A prebuilt bundle (tests, simulate); otherwise workflows/ is bundled at start. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Payload encryption (privacy/codec.ts). Every client that talks to these workflows needs the same keys. */
  payloadCodecs?: PayloadCodec[];
}

export function createEngineWorker(o: EngineWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    activities: o.activities,
    ...(o.payloadCodecs?.length ? { dataConverter: { payloadCodecs: o.payloadCodecs } } : {}),
    ...(o.workflowBundle ? { workflowBundle: o.workflowBundle } : { workflowsPath }),
  });
}
