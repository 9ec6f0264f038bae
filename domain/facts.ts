// Facts: what happened, as records that leave the workflows for the store (store/, PostgreSQL) without
// touching Temporal's history. Each thing a timeline shows (a run entered, a step, a split, a delivery
// decision, a provider status, a conversion, an exit) is one fact with a deterministic id, so writing the same
// fact twice (a retried workflow task, a reconcile from histories) keeps one row.
//
// Workflows hand facts to the `facts` sink (workflows/facts.ts); the worker spools them to disk before the
// workflow task completes and ships them in batches (store/factSpool.ts, store/factWriter.ts).
import type { Sinks } from '@temporalio/workflow';
import type { LedgerEntry } from './customerState';
import type { TimelineEntry } from './messages';

export const FACT_KINDS = [
  /** A run started: `detail` is the entry event. */
  'entered',
  /** An event that would start a run did not: `reason` is cooldown, running, when or once. */
  'not-entered',
  /** j.step: `step`. */
  'step',
  /** j.split: `split` and `arm`. */
  'split',
  /** A delivery decision: `status` sent | suppressed | deferred | failed, with `reason`, `channel`, `template`, `topic`. */
  'delivery',
  /** A provider's status callback for a sent message: `status` delivered | undelivered | failed | read …, `reason` the error code. */
  'provider',
  /** The journey's goal event: `detail` is the event; `reason` is `after-end` when it came after the run ended, within `goal.within`. */
  'converted',
  /** The run stopped early: `reason` is the exitOn event, `operator` or the operator's reason. */
  'exited',
  /** The run reached the end of its definition. */
  'completed',
  /** The run failed for good (a bug in journey code, an unknown journey): `reason`. */
  'failed',
  /** An event the journey's trigger schema refused: `reason`. */
  'rejected',
] as const;
export type FactKind = (typeof FACT_KINDS)[number];

export interface Fact {
  /** `<workflowId>/<runId>/<n>`: the n-th fact of that workflow run, the same on every retry of its task. */
  id: string;
  kind: FactKind;
  /** Engine time (simulated time under `simulate`). */
  at: string;
  journey: string;
  version?: number;
  customerId: string;
  key?: string;
  /** One journey run: `<journey workflow id>/<entry number>`, the prefix of its send ids. Facts of the customer
   *  workflow about a run (its deliveries, provider statuses, late conversions) carry the run's. */
  run?: string;
  /** The workflow that recorded the fact (a journey or a customer workflow) and its run. */
  workflowId: string;
  runId: string;
  step?: string;
  split?: string;
  arm?: string;
  channel?: string;
  template?: string;
  topic?: string;
  status?: string;
  reason?: string;
  detail?: string;
  /** The delivery request's id (`<run>.<n>`), on delivery and provider facts. */
  messageId?: string;
}

/** A fact before the workflow numbers it. */
export type FactInput = Omit<Fact, 'id' | 'workflowId' | 'runId'>;
/** A journey run's fact before the run adds who and which run it is about. */
export type RunFactInput = Omit<FactInput, 'journey' | 'version' | 'customerId' | 'key' | 'run'>;

/** The sink the workflows call (proxySinks in workflows/facts.ts; the worker injects it in worker/createWorker.ts). */
export interface FactSinks extends Sinks {
  facts: { record(fact: Fact): void };
}

export const factId = (workflowId: string, runId: string, n: number): string => `${workflowId}/${runId}/${n}`;

/** The run a delivery request belongs to: its id without the trailing `.<n>` (and a fallback's `~<channel>`). */
export const runOfRequest = (requestId: string): string => requestId.replace(/\.\d+(~.*)?$/, '');

/** The journey run's own facts, from its timeline. Delivery outcomes are left out here: the customer workflow
 *  records them with what only it knows (deferrals, the reason, the topic, provider statuses). */
export function factOfTimeline(entry: TimelineEntry): RunFactInput | undefined {
  const { at } = entry;
  switch (entry.kind) {
    case 'entered':
    case 'converted':
      return { kind: entry.kind, at, detail: entry.detail };
    case 'step':
      return { kind: 'step', at, step: entry.step };
    case 'split':
      return { kind: 'split', at, split: entry.step, arm: entry.detail };
    case 'exited':
      return { kind: 'exited', at, reason: entry.reason };
    case 'completed':
      return { kind: 'completed', at };
    default:
      return undefined;
  }
}

/** A delivery decision as a fact: `status` sent | suppressed | deferred | failed. */
export function deliveryFact(customerId: string, e: LedgerEntry): FactInput {
  return {
    kind: 'delivery',
    at: e.at,
    journey: e.journey,
    version: e.version,
    customerId,
    key: e.key,
    run: runOfRequest(e.id),
    messageId: e.id,
    status: e.status,
    channel: e.channel,
    template: e.template,
    topic: e.topic,
    reason: e.reason,
    ...(e.until ? { detail: `until ${e.until}` } : {}),
  };
}
