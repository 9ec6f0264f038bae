// How the customer workflow learns that a journey run ended. The runs it starts report nothing: their child
// workflow's completion, which reaches its history anyway, says how they ended. A continue-as-new breaks that
// link (a child reports to the workflow run that started it), so before one, every run still going is handed
// over (`journeyHandOver`) and signals `journeyEnded` at its end, as every run did before END_BY_COMPLETION_PATCH.
import {
  CancelledFailure,
  ChildWorkflowFailure,
  TerminatedFailure,
  condition,
  getExternalWorkflowHandle,
  patched,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { JourneyRun } from '../domain/customerState';
import { journeyHandOverSignal } from '../domain/messages';
import { END_BY_COMPLETION_PATCH, endStatus, markUnreachable, recordJourneyEnded } from '../domain/routing';
import type { CustomerContext } from './customerContext';
import type { journeyWorkflow } from './journey';

/** Records the run's end when its child workflow closes, unless a `journeyEnded` signal (a run from before the
 *  patch) already did, or a later run has the workflow ID by then. A run marked ended because a signal to it failed
 *  between its close and this (markUnreachable) gets its real status here. */
export function watchEnd(ctx: CustomerContext, child: ChildWorkflowHandle<typeof journeyWorkflow>, run: JourneyRun): void {
  const byOperator = (err: unknown) => err instanceof ChildWorkflowFailure && (err.cause instanceof TerminatedFailure || err.cause instanceof CancelledFailure);
  void child
    .result()
    .then(
      (status) => endStatus(status),
      (err: unknown) => endStatus({ byOperator: byOperator(err) }),
    )
    .then((status) => {
      // Off the watch list first: a hand-over waiting for this completion (below) goes by it.
      if (ctx.watched.get(run.workflowId) === run) ctx.watched.delete(run.workflowId);
      if (ctx.state.journeys[run.workflowId] !== run || (run.status !== 'running' && !run.unreachable)) return;
      // Histories from before the patch replay without it: their runs signalled, and the state went by the signal.
      if (patched(END_BY_COMPLETION_PATCH)) recordJourneyEnded(ctx.state, { workflowId: run.workflowId, status, at: ctx.now().toISOString() });
    });
  ctx.watched.set(run.workflowId, run);
}

/** How long a continue-as-new waits for the completion of a run that closed before its hand-over reached it. */
const HAND_OVER_WAIT = '1 minute';

/** Before a continue-as-new: every watched run still going is told to signal its end to the next workflow run.
 *  A run that closed before the signal reached it has its completion on the way to this run, which waits for it,
 *  for a minute at most: a run that takes no signal for another reason, or whose completion goes elsewhere (a
 *  customer workflow reset in the UI), then counts as ended, as when a forward to it fails. */
export async function handOverJourneys(ctx: CustomerContext): Promise<void> {
  const going = [...ctx.watched.values()].filter((run) => ctx.state.journeys[run.workflowId] === run && run.status === 'running');
  if (going.length === 0 || !patched(END_BY_COMPLETION_PATCH)) return;
  await Promise.all(
    going.map(async (run) => {
      try {
        await getExternalWorkflowHandle(run.workflowId).signal(journeyHandOverSignal);
      } catch {
        const completed = (): boolean => ctx.watched.get(run.workflowId) !== run;
        if (!(await condition(completed, HAND_OVER_WAIT))) markUnreachable(ctx.state, run.workflowId, ctx.now());
      }
      ctx.watched.delete(run.workflowId);
    }),
  );
}
