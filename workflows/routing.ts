// Carries out the routing decisions of domain/routing.ts for the customer workflow: starts journeys as child
// workflows, forwards events to the running ones, and passes an operator's exit on. The patched() calls are
// made here, in the same order and at the same points as always, because replay depends on it.
import { ParentClosePolicy, WorkflowIdReusePolicy, log, patched, startChild, type ChildWorkflowHandle, type ChildWorkflowOptions } from '@temporalio/workflow';
import type { CustomerEvent, JourneyEvent } from '../sdk/events';
import type { AnyJourney } from '../sdk/journey';
import { journeys } from '../journeys';
import { lateConversions } from '../domain/attribution';
import { recordEvent, recordRejection } from '../domain/customerState';
import { journeyEventSignal, journeyExitSignal } from '../domain/messages';
import {
  ENCODED_IDS_PATCH,
  TARGETED_FORWARDING_PATCH,
  decideEntry,
  exitTargets,
  forwardTargets,
  idsDiffer,
  journeyEventOf,
  journeysTriggeredBy,
  matchTrigger,
  recordEntry,
  routePatch,
  runningJourneyIds,
  type EntryDecision,
  type TriggerMatch,
} from '../domain/routing';
import { CUSTOMER_ID, JOURNEY_NAME, JOURNEY_STEP, JOURNEY_VERSION } from '../domain/searchAttributes';
import { signalJourney, type CustomerContext } from './customerContext';
import { journeyWorkflow, type JourneyInput } from './journey';
import { watchEnd } from './journeyEnds';

/** An event: dedupe, record, start the journeys it triggers, then forward it to the journeys that were already running
 *  and can use it. */
export async function routeEvent(ctx: CustomerContext, event: CustomerEvent): Promise<void> {
  const at = ctx.now();
  if (!recordEvent(ctx.state, event, at)) {
    log.info('duplicate event ignored', { messageId: event.messageId });
    return;
  }
  const jEvent = journeyEventOf(event, at);
  for (const late of lateConversions(ctx.state, journeys, event.name, at)) {
    late.record.convertedAfterEnd = at.toISOString();
    const { journey, key } = late.record;
    ctx.fact({
      kind: 'converted',
      reason: 'after-end',
      detail: event.name,
      at: at.toISOString(),
      journey,
      version: late.def.version,
      customerId: ctx.state.customerId,
      key,
      run: late.run,
    });
  }
  const alreadyRunning = runningJourneyIds(ctx.state);
  for (const def of journeysTriggeredBy(journeys, event.name)) {
    // Routing is replayed from history like any workflow code. The marker makes adding a journey safe for live
    // customers: events from before the deploy replay without it (no journey started, as their history says);
    // events after it start the new journey.
    if (patched(routePatch(def.name))) await startJourney(ctx, def, event, jEvent, at);
  }
  await Promise.all(forwardTo(ctx, alreadyRunning, event.name).map((id) => signalJourney(ctx, id, (h) => h.signal(journeyEventSignal, jEvent))));
}

/** The runs an event is forwarded to: those that can use it (domain/routing.ts forwardTargets), once the customer's
 *  history has the marker. Before it every running run got every event, and histories from then replay so: the
 *  patch is asked only when the filter leaves a run out, after the journeys the event starts, as recorded. */
function forwardTo(ctx: CustomerContext, running: string[], eventName: string): string[] {
  const targets = forwardTargets(ctx.state, running, journeys, eventName);
  return targets.length < running.length && patched(TARGETED_FORWARDING_PATCH) ? targets : running;
}

/** One triggered journey: schema, `when`, IDs, re-entry policy, then the child workflow. */
async function startJourney(ctx: CustomerContext, def: AnyJourney, event: CustomerEvent, jEvent: JourneyEvent, at: Date): Promise<void> {
  const match = matchTrigger(def, event, ctx.state, at);
  const base = { journey: def.name, version: def.version, customerId: ctx.state.customerId, at: at.toISOString() };
  if (match.kind === 'rejected') {
    recordRejection(ctx.state, match.rejection);
    ctx.fact({ ...base, kind: 'rejected', reason: match.rejection.error, detail: event.name });
    log.warn('event rejected by journey schema', { journey: def.name, event: event.name, messageId: event.messageId });
    return;
  }
  if (match.kind === 'not-entered') return ctx.fact({ ...base, kind: 'not-entered', reason: 'when', detail: event.name });
  // Journey IDs encode their parts (domain/workflowIds.ts). Before, customer `carol:x` with cart `c1` and
  // customer `carol` with cart `x:c1` got one ID, and the second journey never started. New runs get the
  // encoded ID behind a patch: histories from before it replay with the IDs they used.
  const entry = decideEntry(ctx.state, def, match.key, match.ids, idsDiffer(match.ids) && patched(ENCODED_IDS_PATCH), at);
  if (entry.kind === 'skip') return ctx.fact({ ...base, key: match.key, kind: 'not-entered', reason: entry.reason, detail: event.name });
  let child: ChildWorkflowHandle<typeof journeyWorkflow>;
  try {
    child = await startChild(journeyWorkflow, journeyStartOptions(ctx, def, match, entry, jEvent));
  } catch (err) {
    // Already running under that ID (a race with its end): it will get the event as a signal instead.
    log.warn('journey not started', { workflowId: entry.workflowId, error: String(err) });
    return;
  }
  watchEnd(ctx, child, recordEntry(ctx.state, entry, def.name, match.key, at));
}

/** The child workflow of a new run. ABANDON: it outlives the customer workflow's continue-as-new.
 *  ALLOW_DUPLICATE: the same ID runs again after the previous run ended (re-entry). */
function journeyStartOptions(
  ctx: CustomerContext,
  def: AnyJourney,
  match: Extract<TriggerMatch, { kind: 'matched' }>,
  entry: Extract<EntryDecision, { kind: 'enter' }>,
  jEvent: JourneyEvent,
): Omit<ChildWorkflowOptions, 'typeInfo'> & { args: [JourneyInput] } {
  const { state, config } = ctx;
  const { key } = match;
  const input: JourneyInput = {
    journey: def.name,
    customerId: state.customerId,
    key,
    entryNo: entry.entryNo,
    entry: { ...jEvent, properties: match.properties },
    traits: state.traits,
    timezone: state.identities.timezone,
    clockOffsetMs: config.clockOffsetMs,
    // This workflow run sees the child's completion (journeyEnds.ts): no journeyEnded signal unless handed over.
    endSeenByParent: true,
  };
  return {
    workflowId: entry.workflowId,
    args: [input],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    staticSummary: `${def.name} v${def.version} for customer ${state.customerId}${key ? ` (${key})` : ''}`,
    typedSearchAttributes: [
      { key: CUSTOMER_ID, value: state.customerId },
      { key: JOURNEY_NAME, value: def.name },
      { key: JOURNEY_VERSION, value: def.version },
      { key: JOURNEY_STEP, value: 'entered' },
    ],
  };
}

/** An operator's exit: the journey workflow's exit signal to each running run it names. */
export async function exitJourneys(ctx: CustomerContext, exit: { workflowId?: string; journey?: string; reason?: string }): Promise<void> {
  const targets = exitTargets(ctx.state, exit);
  await Promise.all(targets.map((id) => signalJourney(ctx, id, (h) => h.signal(journeyExitSignal, { reason: exit.reason ?? 'operator' }))));
}
