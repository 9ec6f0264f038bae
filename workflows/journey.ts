// The journey workflow (`journey:<name>:<customerId>[:<key>]`): runs one definition from journeys/ for one
// customer (and entity). The verbs are domain/journeyContext.ts; this file gives them Temporal's primitives
// (timers, conditions, signals to the customer workflow, a cancellation scope for endings) and its handlers.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureTypes } from '../domain/delivery';
import { factOfTimeline, type RunFactInput } from '../domain/facts';
import { createJourneyRun, type JourneyInput, type JourneyRuntime } from '../domain/journeyContext';
import type { SendResult } from '../sdk/journey';
import { getJourney } from '../journeys';
import {
  customerWorkflowId,
  deliveryRequestSignal,
  deliveryResultSignal,
  journeyExitSignal,
  journeyEndedSignal,
  journeyEventSignal,
  journeyHandOverSignal,
  journeyStatusQuery,
  updateTraitsSignal,
  type JourneyStatus,
} from '../domain/messages';
import { JOURNEY_STEP } from '../domain/searchAttributes';
import { factRecorder } from './facts';

export type { JourneyInput } from '../domain/journeyContext';

type CustomerHandle = ReturnType<typeof getExternalWorkflowHandle>;

/** The verbs' runtime on Temporal: sends are signals to the customer workflow answered by `deliveryResult`. */
function temporalRuntime(
  input: JourneyInput,
  customer: CustomerHandle,
  scope: CancellationScope,
  results: Map<string, SendResult>,
  fact: (f: RunFactInput) => void,
  version: number,
): JourneyRuntime {
  return {
    now: () => new Date(Date.now() - input.clockOffsetMs),
    sleep: (ms) => sleep(ms),
    condition: (fn, ms) => condition(fn, ms),
    async deliver(request) {
      // The version rides along so the customer workflow's delivery facts name it (domain/facts.ts).
      await customer.signal(deliveryRequestSignal, { ...request, version });
      await condition(() => results.has(request.id));
      const result = results.get(request.id) as SendResult;
      results.delete(request.id);
      return result;
    },
    updateTraits: (patch) => customer.signal(updateTraitsSignal, patch),
    upsertStep: (step) => upsertSearchAttributes([{ key: JOURNEY_STEP, value: step }]),
    patched: (changeId) => patched(changeId),
    describe: (details) => setCurrentDetails(details),
    scope: (body) => scope.run(body),
    end: () => scope.cancel(),
    isEnding: (err) => isCancellation(err),
    failure: (message, type) => ApplicationFailure.nonRetryable(message, type),
    recorded(entry) {
      // Replay-safe: the workflow logger says nothing while a run replays.
      if (entry.kind === 'ignored') log.warn('waitFor ignored an event that fails its schema', { event: entry.detail, step: entry.step, error: entry.reason });
      const f = factOfTimeline(entry);
      if (f) fact(f);
    },
  };
}

export async function journeyWorkflow(input: JourneyInput): Promise<JourneyStatus> {
  const def = getJourney(input.journey);
  if (!def) {
    throw ApplicationFailure.nonRetryable(
      `journey "${input.journey}" is not registered in journeys/index.ts on this worker; deploy a worker that has it, then reset this workflow`,
      FailureTypes.UnknownJourney,
    );
  }
  const { workflowId } = workflowInfo();
  const customer = getExternalWorkflowHandle(customerWorkflowId(input.customerId));
  const results = new Map<string, SendResult>();
  const runFacts = factRecorder();
  const ids = { journey: def.name, version: def.version, customerId: input.customerId, key: input.key, run: `${workflowId}/${input.entryNo}` };
  const fact = (f: RunFactInput): void => runFacts({ ...ids, ...f });
  const run = createJourneyRun(def, input, workflowId, temporalRuntime(input, customer, new CancellationScope(), results, fact, def.version));
  setHandler(journeyEventSignal, run.onEvent);
  setHandler(deliveryResultSignal, (r) => void results.set(r.id, r));
  setHandler(journeyExitSignal, ({ reason }) => run.onExit(reason));
  setHandler(journeyStatusQuery, () => run.status);
  // The customer workflow run that started this one learns its end from the completion (workflows/journeyEnds.ts);
  // a run started before that, or handed over before its customer workflow continued as new, signals it.
  let signalEnd = input.endSeenByParent !== true;
  setHandler(journeyHandOverSignal, () => void (signalEnd = true));
  const now = () => new Date(Date.now() - input.clockOffsetMs).toISOString();
  try {
    await run.run();
  } catch (err) {
    // The run fails for good: the customer stops routing events here.
    if (err instanceof ApplicationFailure) {
      fact({ kind: 'failed', at: now(), reason: err.message });
      if (signalEnd) await customer.signal(journeyEndedSignal, { workflowId, status: 'failed', at: now() });
    }
    throw err;
  }
  if (signalEnd) await customer.signal(journeyEndedSignal, { workflowId, status: run.status.status, at: now() });
  return run.status;
}
