// Routing and re-entry for the customer workflow, as pure decisions: which journeys an event starts and
// under which workflow ID, which running journeys it is forwarded to, which runs an operator's exit reaches.
// workflows/routing.ts carries the decisions out. It also makes the patched() calls (route:<journey>,
// journey-id-encoded-parts, targeted-forwarding) and passes their answers in, so nothing here touches Temporal.
import { toMs } from '../sdk/duration';
import type { CustomerEvent, JourneyEvent, Properties } from '../sdk/events';
import { matcherOf, type AnyJourney, type ReentryPolicy } from '../sdk/journey';
import type { CustomerState, JourneyRun, Rejection } from './customerState';
import { admitEntry } from './trigger';
import { journeyWorkflowId, legacyJourneyWorkflowId } from './workflowIds';

/** The patch marker each journey's routing runs behind. It is recorded the first time a customer's event
 *  is routed to that journey, so a journey added in a deploy starts nothing for events from before it. */
export const routePatch = (journey: string): string => `route:${journey}`;

/** The patch marker that puts new runs under encoded IDs. It is asked for only when the two forms differ. */
export const ENCODED_IDS_PATCH = 'journey-id-encoded-parts';

export const DEFAULT_REENTRY: ReentryPolicy = 'one-at-a-time';

/** The two IDs one (journey, customer, key) can have: the encoded one, and the one used before the encoding. */
export interface JourneyIds {
  encoded: string;
  legacy: string;
}

/** The event as journeys see it. For an identify, the traits are the properties. */
export function journeyEventOf(event: CustomerEvent, at: Date): JourneyEvent {
  return {
    name: event.name,
    messageId: event.messageId,
    properties: event.type === 'identify' ? event.traits : event.properties,
    receivedAt: at.toISOString(),
  };
}

/** The journeys this event triggers, in registration order. The workflow routes each one only behind
 *  routePatch(name). */
export function journeysTriggeredBy<J extends Pick<AnyJourney, 'trigger'>>(journeys: readonly J[], eventName: string): J[] {
  return journeys.filter((def) => def.trigger.event === eventName);
}

export type TriggerMatch =
  /** The properties fail the journey's schema. The workflow records the rejection and starts nothing. */
  | { kind: 'rejected'; rejection: Rejection }
  /** The trigger's `when` says no. */
  | { kind: 'not-entered' }
  | { kind: 'matched'; properties: Properties; key?: string; ids: JourneyIds };

/** The trigger's verdict (domain/trigger.ts, the rule testJourney uses too) with the run's key and IDs. */
export function matchTrigger(def: AnyJourney, event: CustomerEvent, state: Pick<CustomerState, 'customerId' | 'traits'>, at: Date): TriggerMatch {
  const admission = admitEntry(def, event.properties, state.traits);
  if (admission.outcome === 'rejected') {
    return { kind: 'rejected', rejection: { at: at.toISOString(), journey: def.name, event: event.name, messageId: event.messageId, error: admission.reason } };
  }
  if (admission.outcome === 'not-entered') return { kind: 'not-entered' };
  const { key } = admission;
  return {
    kind: 'matched',
    properties: admission.properties as Properties,
    key,
    ids: { encoded: journeyWorkflowId(def.name, state.customerId, key), legacy: legacyJourneyWorkflowId(def.name, state.customerId, key) },
  };
}

/** Whether choosing between the IDs needs the answer of the ENCODED_IDS_PATCH patch. They differ only when a
 *  part has `%`, `:` or `#`; asking in any other case would record a marker that changes nothing. */
export const idsDiffer = (ids: JourneyIds): boolean => ids.encoded !== ids.legacy;

export type ReentryRefusal = 'never' | 'running' | 'cooldown';

export type EntryDecision =
  | {
      kind: 'skip';
      reason: ReentryRefusal;
      /** For `cooldown`: when the cool-down ends. */
      until?: string;
    }
  | {
      kind: 'enter';
      /** The ID to start the run under: baseId, or `<baseId>#<entryNo>` for an overlapping `always` run. */
      workflowId: string;
      /** The ID the (journey, customer, key) is recorded under. */
      baseId: string;
      /** The run's entry number (its delivery request IDs include it, so a re-entered run gets new keys). */
      entryNo: number;
      /** Where the previous run's record is (baseId, or the legacy ID of a run from before the encoding). */
      previousId?: string;
    };

/** Decides whether a matched journey starts a new run, and under which ID. The decision is based on the
 *  customer's record of runs and the journey's re-entry policy: the previous run of this key, or, for a
 *  cool-down `per: 'customer'`, every run of the journey the customer had. `useEncodedIds` is the patch's
 *  answer (or false when idsDiffer is false). A run started under the legacy ID keeps it: its record is found
 *  by that ID, and only the next run of that key gets the encoded ID. */
export function decideEntry(
  state: Pick<CustomerState, 'journeys'>,
  def: Pick<AnyJourney, 'name' | 'reentry'>,
  key: string | undefined,
  ids: JourneyIds,
  useEncodedIds: boolean,
  at: Date,
): EntryDecision {
  const baseId = useEncodedIds ? ids.encoded : ids.legacy;
  const legacy = baseId !== ids.legacy ? state.journeys[ids.legacy] : undefined;
  // The old ID of another key can be this one (an overlapping run `c1#2` and the key `c1#2`), so check its record is this key's.
  const previousId = state.journeys[baseId] !== undefined ? baseId : legacy?.journey === def.name && legacy.key === key ? ids.legacy : undefined;
  const previous = previousId !== undefined ? state.journeys[previousId] : undefined;
  const entryNo = (previous?.entries ?? 0) + 1;
  const policy = def.reentry ?? DEFAULT_REENTRY;
  if (typeof policy === 'object' && policy.per === 'customer') {
    const runs = Object.values(state.journeys).filter((r) => r.journey === def.name);
    const refused = customerRefusal(policy, runs, at);
    if (refused) return { kind: 'skip', ...refused };
  }
  if (!previous) return { kind: 'enter', workflowId: baseId, baseId, entryNo };
  const refused = reentryRefusal(policy, previous, at);
  if (refused === 'cooldown') return { kind: 'skip', reason: refused, until: new Date(cooldownEnd(policy as Cooldown, previous)).toISOString() };
  if (refused) return { kind: 'skip', reason: refused };
  const overlapping = policy === 'always' && previous.status === 'running';
  return { kind: 'enter', workflowId: overlapping ? `${baseId}#${entryNo}` : baseId, baseId, entryNo, previousId };
}

/** A skip in words, for people: `cooldown until <ISO>`, `running` or `never`. */
export const skipReason = (skip: Extract<EntryDecision, { kind: 'skip' }>): string => (skip.until ? `${skip.reason} until ${skip.until}` : skip.reason);

type Cooldown = Extract<ReentryPolicy, { cooldown: unknown }>;

/** When the cool-down after this run ends, in ms (a run without an end counts from its entry). */
const cooldownEnd = (policy: Cooldown, run: JourneyRun): number => Date.parse(run.endedAt ?? run.enteredAt) + toMs(policy.cooldown);

/** A cool-down per customer: refused while any of the customer's runs of the journey is running, or until the
 *  cool-down after the last of them to end is over. */
function customerRefusal(policy: Cooldown, runs: JourneyRun[], at: Date): { reason: ReentryRefusal; until?: string } | undefined {
  if (runs.some((r) => r.status === 'running')) return { reason: 'running' };
  const until = Math.max(...runs.map((r) => cooldownEnd(policy, r)));
  return at.getTime() < until ? { reason: 'cooldown', until: new Date(until).toISOString() } : undefined;
}

/** Why the policy refuses a new run, given the previous run of the same key, or undefined when it allows one. */
export function reentryRefusal(policy: ReentryPolicy, previous: JourneyRun, at: Date): ReentryRefusal | undefined {
  const running = previous.status === 'running';
  if (policy === 'never') return 'never';
  if (policy === 'one-at-a-time' && running) return 'running';
  if (typeof policy === 'object') {
    if (running) return 'running';
    const since = at.getTime() - Date.parse(previous.endedAt ?? previous.enteredAt);
    if (since < toMs(policy.cooldown)) return 'cooldown';
  }
  return undefined;
}

/** Records a run the workflow started on an `enter` decision. An overlapping `always` run gets its own record,
 *  and the base record only counts the entry. */
export function recordEntry(
  state: Pick<CustomerState, 'journeys'>,
  entry: Extract<EntryDecision, { kind: 'enter' }>,
  journey: string,
  key: string | undefined,
  at: Date,
): JourneyRun {
  const run: JourneyRun = { workflowId: entry.workflowId, journey, key, status: 'running', enteredAt: at.toISOString(), entries: entry.entryNo };
  state.journeys[entry.workflowId] = run;
  if (entry.workflowId !== entry.baseId && entry.previousId !== undefined) state.journeys[entry.previousId].entries = entry.entryNo;
  return run;
}

/** The workflow IDs of the running journeys, each once: where an event is forwarded. */
export function runningJourneyIds(state: Pick<CustomerState, 'journeys'>): string[] {
  return [
    ...new Set(
      Object.values(state.journeys)
        .filter((r) => r.status === 'running')
        .map((r) => r.workflowId),
    ),
  ];
}

/** The patch marker behind which an event is forwarded only to the runs that can use it (forwardTargets). It is
 *  asked only when that leaves a run out: a history in which nothing would be left out records no marker. */
export const TARGETED_FORWARDING_PATCH = 'targeted-forwarding';

/** The event names a run of this journey reacts to, besides `identify`: its `exitOn` and `goal` events and its
 *  `waits`; undefined (every event) when it does not declare `waits`. */
export function eventsUsedBy(def: Pick<AnyJourney, 'exitOn' | 'goal' | 'waits'>): Set<string> | undefined {
  if (!def.waits) return undefined;
  return new Set([...def.waits, ...(def.exitOn ?? []).map((m) => matcherOf(m).event), ...(def.goal ? [def.goal.event] : [])]);
}

/** The running runs (`running`, from runningJourneyIds) that can use an event of this name: an `identify` goes to
 *  every run (traits), another event to a run whose journey's exitOn, goal or waits name it, and to every run of
 *  a journey that does not declare `waits` or is not registered here. The workflow forwards only to these, behind
 *  TARGETED_FORWARDING_PATCH, asked only when they are fewer than the running runs. */
export function forwardTargets(
  state: Pick<CustomerState, 'journeys'>,
  running: readonly string[],
  registry: readonly Pick<AnyJourney, 'name' | 'exitOn' | 'goal' | 'waits'>[],
  eventName: string,
): string[] {
  if (eventName === 'identify') return [...running];
  return running.filter((id) => {
    const journey = state.journeys[id]?.journey;
    const def = registry.find((d) => d.name === journey);
    return def === undefined || (eventsUsedBy(def)?.has(eventName) ?? true);
  });
}

/** The running journeys an operator's exit names, by workflow ID or by journey name. */
export function exitTargets(state: Pick<CustomerState, 'journeys'>, exit: { workflowId?: string; journey?: string }): string[] {
  return runningJourneyIds(state).filter((id) => id === exit.workflowId || state.journeys[id]?.journey === exit.journey);
}

/** The customer workflow learns a run's end from its child's completion instead of a `journeyEnded` signal (one
 *  signal, two workflow tasks and 9 history events less per run). Asked when a completion arrives for a run the
 *  customer's state still has running, and before handing runs over at continue-as-new: one marker per workflow
 *  run; histories from before it replay as they were recorded (their runs signalled). */
export const END_BY_COMPLETION_PATCH = 'journey-end-by-completion';

/** How a child run's end reads in the customer's record: its own status when it returned, `exited` when an operator
 *  terminated or cancelled it (the Temporal UI), `failed` otherwise (a non-retryable failure, a timeout). */
export function endStatus(outcome: { status: JourneyRun['status'] } | { byOperator: boolean }): JourneyRun['status'] {
  if ('status' in outcome) return outcome.status;
  return outcome.byOperator ? 'exited' : 'failed';
}

/** A journey reported its end (journeyEnded, or its child's completion): re-entry and forwarding go by it from now on. */
export function recordJourneyEnded(state: Pick<CustomerState, 'journeys'>, ended: { workflowId: string; status: JourneyRun['status']; at: string }): void {
  const run = state.journeys[ended.workflowId];
  if (!run) return;
  Object.assign(run, { status: ended.status, endedAt: ended.at });
  delete run.unreachable;
}

/** A signal to a running journey failed: the run ended between the bookkeeping and the signal. */
export function markUnreachable(state: Pick<CustomerState, 'journeys'>, workflowId: string, at: Date): void {
  const run = state.journeys[workflowId];
  if (run && run.status === 'running') Object.assign(run, { status: 'completed', endedAt: at.toISOString(), unreachable: true });
}
