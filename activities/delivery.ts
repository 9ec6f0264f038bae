// The `deliver` activity: one entry point for every channel; each channel is its own module.
import { ApplicationFailure } from '@temporalio/common';
import type { Channel } from '../sdk/events';
import type { TemplateRenderer } from './templates';
import { FailureTypes, type DeliverInput, type DeliverOutput, type DeliveryActivities } from './types';

export type ChannelSender = (input: DeliverInput) => Promise<DeliverOutput>;

export function createDeliveryActivities(senders: Partial<Record<Channel, ChannelSender>>): DeliveryActivities {
  return {
    async deliver(input) {
      const send = senders[input.channel];
      if (!send) {
        throw ApplicationFailure.nonRetryable(`channel "${input.channel}" is not configured on this worker`, FailureTypes.PermanentDelivery);
      }
      return send(input);
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
  return {
    async deliver(input) {
      const m = await renderer.render(input.template, input.channel, input.vars);
      sink.push({ idempotencyKey: input.idempotencyKey, customerId: input.customerId, channel: input.channel, to: input.to, template: input.template, subject: m.subject, text: m.text });
      return { providerId: `captured:${input.idempotencyKey}`, subject: m.subject };
    },
  };
}
