// Delivering an event durably: signal-with-start of the customer workflow. Resolves only once
// Temporal has the signal in history, so a caller that got no error may forget the event.
import type { Client } from '@temporalio/client';
import { CustomerEvent } from '../sdk/events';
import type { EngineConfig } from '../domain/engineConfig';
import { customerWorkflowId, eventSignal } from '../domain/messages';
import { CUSTOMER_ID } from '../domain/searchAttributes';

export interface SendEventOptions {
  taskQueue: string;
  engine?: Partial<EngineConfig>;
}

export async function sendEvent(client: Client, event: CustomerEvent, options: SendEventOptions): Promise<string> {
  const valid = CustomerEvent.parse(event);
  const workflowId = customerWorkflowId(valid.customerId);
  await client.workflow.signalWithStart('customerWorkflow', {
    workflowId,
    taskQueue: options.taskQueue,
    args: [{ customerId: valid.customerId, config: options.engine }],
    signal: eventSignal,
    signalArgs: [valid],
    typedSearchAttributes: [{ key: CUSTOMER_ID, value: valid.customerId }],
    staticSummary: `customer ${valid.customerId}`,
  });
  return workflowId;
}
