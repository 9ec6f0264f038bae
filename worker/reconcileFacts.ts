// `omnijourney facts reconcile`: rebuilds facts from Temporal's histories (within the namespace's retention)
// and writes the ones the store lacks. The workflows' code records facts deterministically, so replaying a
// history with the `facts` sink called during replay yields exactly the facts the live run recorded, with the
// same ids (`<workflowId>/<runId>/<n>`): writing them is idempotent, so reconcile fills gaps and never
// doubles. For the facts of a worker whose spool was lost with its disk, or a store restored from backup.
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { type Fact, factId } from '../domain/facts';
import { insertFacts } from '../store/facts';

export interface ReconcileOptions {
  client: Client;
  db: Parameters<typeof insertFacts>[0];
  workflowBundle: WorkflowBundleWithSourceMap;
  /** Payload codecs of the histories (the same keys as the worker's). */
  payloadCodecs?: PayloadCodec[];
  /** Visibility query of the executions to replay; default every customer and journey workflow. */
  query?: string;
  onProgress?: (done: number) => void;
}

export interface ReconcileResult {
  workflows: number;
  facts: number;
  /** Facts the store did not have. */
  written: number;
  /** Executions whose history could not be replayed (with why): their facts are not checked. */
  failed: Array<{ workflowId: string; runId: string; error: string }>;
}

export const DEFAULT_RECONCILE_QUERY = 'WorkflowType IN ("customerWorkflow", "journeyWorkflow")';

export async function reconcileFacts(o: ReconcileOptions): Promise<ReconcileResult> {
  const result: ReconcileResult = { workflows: 0, facts: 0, written: 0, failed: [] };
  for await (const execution of o.client.workflow.list({ query: o.query ?? DEFAULT_RECONCILE_QUERY })) {
    const { workflowId, runId } = execution;
    const collected: Fact[] = [];
    try {
      const history = await o.client.workflow.getHandle(workflowId, runId).fetchHistory();
      await Worker.runReplayHistory(
        {
          workflowBundle: o.workflowBundle,
          ...(o.payloadCodecs?.length ? { dataConverter: { payloadCodecs: o.payloadCodecs } } : {}),
          sinks: {
            facts: {
              // The replayer's own run id is not the execution's: the facts get the real one, as live.
              record: {
                fn: (_info, fact: Fact) => void collected.push({ ...fact, runId, id: factId(workflowId, runId, Number(fact.id.split('/').at(-1))) }),
                callDuringReplay: true,
              },
            },
          },
        },
        history,
        workflowId,
      );
    } catch (err) {
      result.failed.push({ workflowId, runId, error: (err as Error).message });
      continue;
    }
    result.workflows += 1;
    result.facts += collected.length;
    result.written += await insertFacts(o.db, collected);
    o.onProgress?.(result.workflows);
  }
  return result;
}
