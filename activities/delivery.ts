// The `deliver` activity: one entry point for every channel; each channel is its own module.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Outbox } from './outbox';
import type { Channel } from '../sdk/events';
import type { TemplateRenderer } from './templates';
import { FailureTypes, type DeliverInput, type DeliverOutput, type DeliveryActivities } from '../domain/delivery';

export type ChannelSender = (input: DeliverInput) => Promise<DeliverOutput>;

/** A send still running after this long heartbeats, and again at this interval, so the server can tell a
 *  slow provider from a dead worker (the deliver activity's heartbeatTimeout, workflows/delivery.ts, is 4x
 *  this). A send that finishes sooner, as nearly all do, sends no heartbeat and costs no extra action. */
export const SEND_HEARTBEAT_INTERVAL_MS = 5_000;

export interface DeliveryOptions {
  /** Where successful sends are journaled, so a retry after a crash does not send twice. */
  outbox?: Outbox;
  /** SEND_HEARTBEAT_INTERVAL_MS unless a test says otherwise. */
  heartbeatEveryMs?: number;
}

/** The running activity's context (none outside an activity, e.g. in unit tests). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export function createDeliveryActivities(senders: Partial<Record<Channel, ChannelSender>>, options: DeliveryOptions = {}): DeliveryActivities {
  return {
    async deliver(input) {
      const send = senders[input.channel];
      if (!send) {
        throw ApplicationFailure.nonRetryable(`channel "${input.channel}" is not configured on this worker`, FailureTypes.PermanentDelivery);
      }
      const ctx = activityContext();
      if ((ctx?.info.attempt ?? 1) > 1) {
        // A retry: did an earlier attempt get the message to the provider before its worker died?
        const done = (ctx?.info.heartbeatDetails as { sent?: DeliverOutput } | undefined)?.sent ?? options.outbox?.find(input.idempotencyKey);
        if (done) return done;
      }
      // A worker that dies mid-send stops heartbeating, and the send is retried after the heartbeat timeout
      // instead of the whole start-to-close timeout; a slow provider is not mistaken for a dead worker.
      const beat = ctx ? setInterval(() => ctx.heartbeat(), options.heartbeatEveryMs ?? SEND_HEARTBEAT_INTERVAL_MS) : undefined;
      let result: DeliverOutput;
      try {
        result = await send(input);
      } finally {
        clearInterval(beat);
      }
      // Journal first, the moment the provider's answer is read: the only window left for a duplicate is a
      // crash between the provider's acceptance and this line (docs/reliability.md measures it).
      options.outbox?.record(input.idempotencyKey, result);
      ctx?.heartbeat({ sent: result }); // covers a retry on another host, unless the process dies this instant
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
      sink.push({
        idempotencyKey: input.idempotencyKey,
        customerId: input.customerId,
        channel: input.channel,
        to: input.to,
        template: input.template,
        subject: m.subject,
        text: m.text,
      });
      return { providerId: `captured:${input.idempotencyKey}`, subject: m.subject };
    },
  };
}
