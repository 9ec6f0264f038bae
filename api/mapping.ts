// Segment messages → the engine's CustomerEvent (sdk/events.ts). Pure.
import { randomUUID } from 'node:crypto';
import type { CustomerEvent } from '../sdk/events';

type Dict = Record<string, unknown>;
interface Common {
  userId?: string;
  anonymousId?: string;
  messageId?: string;
  timestamp?: string;
  context?: { timezone?: string; traits?: Dict };
}
/** A validated track or identify message (api/schemas.ts), with its type. */
export type SegmentMessage = (Common & { type: 'track'; event: string; properties?: Dict }) | (Common & { type: 'identify'; traits?: Dict });

export interface MapOptions {
  /** A batch's top-level context, under each message's own. */
  context?: Common['context'];
  /** Makes messageIds for messages without one. */
  newMessageId?: () => string;
}

export function toCustomerEvent(message: SegmentMessage, options: MapOptions = {}): CustomerEvent {
  const context = { ...options.context, ...message.context };
  const customerId = (message.userId ?? message.anonymousId) as string; // the schema requires one
  const messageId = message.messageId ?? (options.newMessageId ?? randomUUID)();
  const timezone = context.timezone;
  const base = { messageId, customerId, timestamp: message.timestamp, context: timezone ? { timezone } : {} };
  if (message.type === 'track') {
    return { ...base, type: 'track', name: message.event, properties: message.properties ?? {}, traits: {} };
  }
  // Segment puts traits at the top of identify calls; context.traits are the fallback underneath.
  const traits = { ...(context.traits ?? {}), ...(message.traits ?? {}) };
  return { ...base, type: 'identify', name: 'identify', properties: {}, traits };
}
