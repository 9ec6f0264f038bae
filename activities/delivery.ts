// The `deliver` activity: one entry point for every channel; each channel is its own module.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Outbox } from './outbox';
import type { Channel } from '../sdk/events';
import type { TemplateRenderer } from './templates';
import { FailureTypes, type DeliverInput, type DeliverOutput, type DeliveryActivities } from './types';

export type ChannelSender = (input: DeliverInput) => Promise<DeliverOutput>;

export interface DeliveryOptions {
  /** Where successful sends are journaled, so a retry after a crash does not send twice. */
  outbox?: Outbox;
}

/** The attempt number and last heartbeat of the running activity (none outside an activity, e.g. in unit tests). */
function attemptInfo(): { attempt: number; heartbeat?: { sent?: DeliverOutput } } {
  try {
    const info = Context.current().info;
    return { attempt: info.attempt, heartbeat: info.heartbeatDetails as { sent?: DeliverOutput } | undefined };
  } catch {
    return { attempt: 1 };
  }
}

export function createDeliveryActivities(senders: Partial<Record<Channel, ChannelSender>>, options: DeliveryOptions = {}): DeliveryActivities {
  return {
    async deliver(input) {
      const send = senders[input.channel];
      if (!send) {
        throw ApplicationFailure.nonRetryable(`channel "${input.channel}" is not configured on this worker`, FailureTypes.PermanentDelivery);
      }
      const { attempt, heartbeat } = attemptInfo();
      if (attempt > 1) {
        // A retry: did an earlier attempt get the message to the provider before its worker died?
        const done = heartbeat?.sent ?? options.outbox?.find(input.idempotencyKey);
        if (done) return done;
      }
      const result = await send(input);
      options.outbox?.record(input.idempotencyKey, result);
      try {
        Context.current().heartbeat({ sent: result }); // reaches the server unless the process dies this instant
      } catch {
        // not inside an activity
      }
      return result;
    },
  };
}

export interface CapturedMessage {
  idempotencyKey: string;
  customerId: string;
  channel: Channel;
  to: string;
  template: string;
  subject?: string;
  text: string;
}

/** For `simulate` and template preview: render for real, capture instead of sending. */
export function createCaptureActivities(renderer: TemplateRenderer, sink: CapturedMessage[]): DeliveryActivities {
  // Links as a real mail would carry them, to a placeholder host (nothing is sent, nothing to sign for).
  const links = (customerId: string) => ({
    preferences: `https://preferences.example/preferences/${encodeURIComponent(customerId)}`,
    unsubscribe: `https://preferences.example/unsubscribe/${encodeURIComponent(customerId)}`,
  });
  return {
    async deliver(input) {
      const m = await renderer.render(input.template, input.channel, { ...input.vars, links: links(input.customerId) });
      sink.push({ idempotencyKey: input.idempotencyKey, customerId: input.customerId, channel: input.channel, to: input.to, template: input.template, subject: m.subject, text: m.text });
      return { providerId: `captured:${input.idempotencyKey}`, subject: m.subject };
    },
  };
}
