// The deliver activity answers the journey that waits for a send, the moment the send succeeded. Customer
// workflows past the `activity-replies` patch (workflows/delivery.ts) put the journey in the activity's input
// (DeliverInput.replyTo) instead of signalling `deliveryResult` themselves, which cost a workflow task on every
// message for the signal's acknowledgement. Every deliver implementation the worker runs (the channels, the
// capture of simulate, the tests') is wrapped, so none can forget to answer.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { DeliverInput, DeliveryActivities } from '../domain/delivery';
import { deliveryResultSignal } from '../domain/messages';

export function answeringJourneys(activities: DeliveryActivities): DeliveryActivities {
  return {
    ...activities,
    async deliver(input) {
      const out = await activities.deliver(input);
      await replyToJourney(input);
      return out;
    },
  };
}

/**
 * Signals `sent` to the journey through the worker's own client (its data converter: the payload is encrypted
 * like any other). A journey that has ended meanwhile (exited, converted) has nobody waiting: not an error. Any
 * other failure fails the attempt; the retry finds the send journaled (activities/delivery.ts: no second send)
 * and answers again, and the journey takes the first answer.
 */
async function replyToJourney(input: DeliverInput): Promise<void> {
  if (!input.replyTo) return;
  try {
    await Context.current()
      .client.workflow.getHandle(input.replyTo.workflowId)
      .signal(deliveryResultSignal, { id: input.replyTo.id, status: 'sent', channel: input.channel });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}
