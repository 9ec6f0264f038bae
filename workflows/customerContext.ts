// What the customer workflow's parts share: its state and settings, the inbox its main loop works through,
// and the sends in flight. workflows/customer.ts builds it; routing.ts and delivery.ts act on it.
import { getExternalWorkflowHandle, log, type ExternalWorkflowHandle } from '@temporalio/workflow';
import type { MetricCounter } from '@temporalio/common';
import type { CustomerEvent } from '../sdk/events';
import type { CustomerState, JourneyRun, LinkState } from '../domain/customerState';
import type { Attempt } from '../domain/deliverySteps';
import type { EngineConfig } from '../domain/engineConfig';
import { markUnreachable } from '../domain/routing';
import type { RecordFact } from './facts';

/** One item of the main loop's inbox. */
export type Work =
  | { kind: 'event'; event: CustomerEvent }
  | ({ kind: 'delivery' } & Attempt)
  | { kind: 'exit'; workflowId?: string; journey?: string; reason?: string };

export interface CustomerContext {
  state: CustomerState;
  config: EngineConfig;
  /** Signals push work here; the main loop takes one item at a time. */
  inbox: Work[];
  /** Sends whose deliver activity is running (no continue-as-new while one is). */
  inFlight: number;
  /** The runs this workflow run started whose end it learns from their completion (workflows/journeyEnds.ts), by
   *  workflow ID; a run leaves the map when its completion arrives or it is handed over. */
  watched: Map<string, JourneyRun>;
  /** Engine time (server time − clockOffsetMs). */
  now(): Date;
  /** The customer's links as they are now: the generation, and this workflow chain's first run ID. */
  links(): LinkState;
  /** Every delivery decision, by journey, channel, status and reason (scraped from the worker's /metrics). */
  deliveries: MetricCounter;
  /** Records a fact of this customer's (workflows/facts.ts). */
  fact: RecordFact;
}

/** Signals a journey by workflow ID (never run ID, so it reaches the current run). A journey that cannot be
 *  reached has ended between the bookkeeping and the signal: it is marked completed. */
export async function signalJourney(ctx: CustomerContext, workflowId: string, fn: (h: ExternalWorkflowHandle) => Promise<void>): Promise<void> {
  try {
    await fn(getExternalWorkflowHandle(workflowId));
  } catch (err) {
    markUnreachable(ctx.state, workflowId, ctx.now());
    log.info('journey not reachable', { workflowId, error: String(err) });
  }
}
