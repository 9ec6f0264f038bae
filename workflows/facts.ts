// Facts leave the workflows through the `facts` sink (domain/facts.ts): the worker runs it outside the
// sandbox, after the activation and before the workflow task completes, and never during replay, so a fact
// costs no history event and no billable action. Each workflow run numbers its facts: the numbering is
// deterministic (it follows the workflow's code), so a retried task records the same ids again.
import { proxySinks, workflowInfo } from '@temporalio/workflow';
import { factId, type FactInput, type FactSinks } from '../domain/facts';

const { facts } = proxySinks<FactSinks>();

export type RecordFact = (fact: FactInput) => void;

/** One recorder per workflow run (its counter is the run's fact sequence). */
export function factRecorder(): RecordFact {
  let n = 0;
  return (fact) => {
    const { workflowId, runId } = workflowInfo();
    facts.record({ ...fact, id: factId(workflowId, runId, ++n), workflowId, runId });
  };
}
