// Delivering events durably: signal-with-start of the customer workflow. Resolves only once Temporal has
// the signal in history, so a caller that got no error may forget the events.
import type { Client } from '@temporalio/client';
import { CustomerEvent } from '../sdk/events';
import type { EngineConfig } from '../domain/engineConfig';
import { customerWorkflowId, eventsSignal } from '../domain/messages';
import { CUSTOMER_ID } from '../domain/searchAttributes';

export interface SendEventOptions {
  taskQueue: string;
  engine?: Partial<EngineConfig>;
}

export async function sendEvent(client: Client, event: CustomerEvent, options: SendEventOptions): Promise<string> {
  return sendEvents(client, [event], options);
}

/** One customer's events, in order, as one `events` signal. Every sender uses this one signal, never the older
 *  `event`: signals that reach a new workflow before its first task are handed to their handlers in the order
 *  the handlers are registered, so two signal names could swap two requests' events. */
export async function sendEvents(client: Client, events: CustomerEvent[], options: SendEventOptions): Promise<string> {
  const valid = events.map((e) => CustomerEvent.parse(e));
  const { customerId } = valid[0] ?? {};
  if (customerId === undefined || valid.some((e) => e.customerId !== customerId)) {
    throw new Error(`sendEvents takes one customer's events (got ${valid.length === 0 ? 'none' : 'several customers'})`);
  }
  const workflowId = customerWorkflowId(customerId);
  await client.workflow.signalWithStart('customerWorkflow', {
    workflowId,
    taskQueue: options.taskQueue,
    args: [{ customerId, config: options.engine }],
    signal: eventsSignal,
    signalArgs: [valid],
    typedSearchAttributes: [{ key: CUSTOMER_ID, value: customerId }],
    staticSummary: `customer ${customerId}`,
  });
  return workflowId;
}
