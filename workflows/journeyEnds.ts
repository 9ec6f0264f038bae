// How the customer workflow learns that a journey run ended. The runs it starts report nothing: their child
// workflow's completion, which reaches its history anyway, says how they ended. A continue-as-new breaks that
// link (a child reports to the workflow run that started it), so before one, every run still going is handed
// over (`journeyHandOver`) and signals `journeyEnded` at its end, as every run did before END_BY_COMPLETION_PATCH.
import { ChildWorkflowFailure, TerminatedFailure, getExternalWorkflowHandle, patched, type ChildWorkflowHandle } from '@temporalio/workflow';
import type { JourneyRun } from '../domain/customerState';
import { journeyHandOverSignal } from '../domain/messages';
import { END_BY_COMPLETION_PATCH, endStatus, recordJourneyEnded } from '../domain/routing';
import type { CustomerContext } from './customerContext';
import type { journeyWorkflow } from './journey';

/** Records the run's end when its child workflow closes, unless a `journeyEnded` signal (a run from before the
 *  patch) already did, or a later run has the workflow ID by then. */
export function watchEnd(ctx: CustomerContext, child: ChildWorkflowHandle<typeof journeyWorkflow>, run: JourneyRun): void {
  const ended = child.result().then(
    (status) => endStatus(status),
    (err: unknown) => endStatus({ terminated: err instanceof ChildWorkflowFailure && err.cause instanceof TerminatedFailure }),
  );
  const recorded = ended.then((status) => {
    if (ctx.watched.get(run.workflowId)?.run === run) ctx.watched.delete(run.workflowId);
    if (ctx.state.journeys[run.workflowId] !== run || run.status !== 'running') return;
    // Histories from before the patch replay without it: their runs signalled, and the state went by the signal.
    if (patched(END_BY_COMPLETION_PATCH)) recordJourneyEnded(ctx.state, { workflowId: run.workflowId, status, at: ctx.now().toISOString() });
  });
  ctx.watched.set(run.workflowId, { run, ended: recorded });
}

/** Before a continue-as-new: every watched run still going is told to signal its end to the next workflow run.
 *  A run that ended before the signal reached it has its completion on the way to this run, which waits for it. */
export async function handOverJourneys(ctx: CustomerContext): Promise<void> {
  const going = [...ctx.watched.values()].filter(({ run }) => ctx.state.journeys[run.workflowId] === run && run.status === 'running');
  if (going.length === 0 || !patched(END_BY_COMPLETION_PATCH)) return;
  await Promise.all(
    going.map(async ({ run, ended }) => {
      try {
        await getExternalWorkflowHandle(run.workflowId).signal(journeyHandOverSignal);
        ctx.watched.delete(run.workflowId);
      } catch {
        await ended;
      }
    }),
  );
}
