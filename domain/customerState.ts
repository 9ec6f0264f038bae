// The single customer view carried by the customer workflow (and across continue-as-new), with the
// pure state transitions the workflow applies. No Temporal APIs here, so it is unit-testable.
import type { Channel, CustomerEvent, Properties, Topic } from '../sdk/events';
import { isValidTimeZone } from '../sdk/timezone';

export interface DeliveryRequest {
  /** Idempotency key built in the journey workflow: `<journeyWorkflowId>/<entry>.<sequence>`. */
  id: string;
  /** The id the journey waits on, when this is a fallback attempt (`<id>~<failed channel>`). */
  replyId?: string;
  journeyWorkflowId: string;
  journey: string;
  /** The journey's version (set by the journey workflow; absent in requests recorded before facts). */
  version?: number;
  key?: string;
  channels: Channel[];
  template: string;
  data: Properties;
  topic: Topic;
  urgent: boolean;
  requestedAt: string;
  /** SKUs this message offers: suppressed (`already-owned`) when the customer owns one. */
  offers?: string[];
}

export type LedgerStatus = 'sending' | 'sent' | 'suppressed' | 'failed' | 'deferred';

export interface LedgerEntry {
  id: string;
  at: string;
  journey: string;
  version?: number;
  key?: string;
  template: string;
  topic: Topic;
  channel?: Channel;
  status: LedgerStatus;
  reason?: string;
  detail?: string;
  to?: string;
  subject?: string;
  providerId?: string;
  /** For `deferred`: when it will be tried again. */
  until?: string;
  /** What the provider reported later (status callbacks): delivered, undelivered, failed… */
  providerStatus?: string;
  providerError?: string;
  /** Earlier deferrals of this message (quiet hours, paused), kept when its status moves on. */
  holds?: Array<{ at: string; reason?: string; until?: string }>;
}

export interface JourneyRun {
  workflowId: string;
  journey: string;
  key?: string;
  status: 'running' | 'completed' | 'exited' | 'converted' | 'failed';
  enteredAt: string;
  endedAt?: string;
  entries: number;
  /** When a goal event after the run's end was attributed to it (goal.within, domain/attribution.ts). */
  convertedAfterEnd?: string;
  /** Marked ended because a signal to it failed (markUnreachable), not because it said how it ended: the child's
   *  completion, when it reaches this workflow run afterwards, still records its real status. */
  unreachable?: true;
}

export interface Rejection {
  at: string;
  journey: string;
  event: string;
  messageId: string;
  error: string;
}

export interface CustomerState {
  customerId: string;
  traits: Properties;
  identities: { email?: string; phone?: string; timezone: string; locale?: string };
  consent: {
    channels: Partial<Record<Channel, boolean>>;
    topics: Partial<Record<Topic, boolean>>;
    /** A topic on one channel, `<channel>:<topic>` (e.g. `email:marketing` after a one-click unsubscribe). */
    pairs?: Partial<Record<string, boolean>>;
    /** The last consent changes and where they came from (bounded). */
    history?: Array<{ at: string; channel?: Channel; topic?: Topic; granted: boolean; source?: string }>;
  };
  recentEvents: Array<{ name: string; messageId: string; at: string }>;
  /** Recent messageIds, newest last, for dedupe (bounded). */
  seenMessageIds: string[];
  ledger: LedgerEntry[];
  journeys: Record<string, JourneyRun>;
  rejections: Rejection[];
  pending: Array<{ request: DeliveryRequest; notBefore: string; reason: string; skip: Channel[] }>;
  paused: boolean;
  eventsReceived: number;
  /** Products the customer owns now, by SKU (from product.purchased, minus product.sold / product.returned).
   *  A marketing send that offers an owned SKU is suppressed with reason `already-owned`. */
  owned?: Record<string, { since: string; productIds: string[] }>;
  /** The generation of the customer's preference and unsubscribe links (preferences/token.ts); "Forget my
   *  links" adds one, and preference links of an older generation are refused. Unset (0) until then. */
  linkGeneration?: number;
}

/** What the customer's links are checked against: the generation, and the customer workflow's first run ID
 *  (which a customer created again after an erase does not share). */
export interface LinkState {
  generation: number;
  incarnation: string;
}

/** What a link that a change came through says about itself; a field left out is not checked. */
export interface LinkGuard {
  generation?: number;
  incarnation?: string;
}

/** Whether a link with these claims still belongs to the customer as they are now. */
export function linkStillValid(current: LinkState, guard: LinkGuard): boolean {
  if (guard.incarnation !== undefined && guard.incarnation !== current.incarnation) return false;
  if (guard.generation !== undefined && guard.generation !== current.generation) return false;
  return true;
}

/** The events that change what a customer owns (properties: `sku`, `productId`). */
export const OWNERSHIP_EVENTS = { acquired: ['product.purchased'], released: ['product.sold', 'product.returned'] };

export const LIMITS = { recentEvents: 50, seenMessageIds: 2000, ledger: 500, rejections: 50 };

export function initialState(customerId: string): CustomerState {
  return {
    customerId,
    traits: {},
    identities: { timezone: 'UTC' },
    consent: { channels: {}, topics: {} },
    recentEvents: [],
    seenMessageIds: [],
    ledger: [],
    journeys: {},
    rejections: [],
    pending: [],
    paused: false,
    eventsReceived: 0,
    owned: {},
  };
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

/** Records the event; returns false when its messageId was seen before (a retry). */
export function recordEvent(state: CustomerState, event: CustomerEvent, at: Date): boolean {
  if (state.seenMessageIds.includes(event.messageId)) return false;
  pushBounded(state.seenMessageIds, event.messageId, LIMITS.seenMessageIds);
  pushBounded(state.recentEvents, { name: event.name, messageId: event.messageId, at: at.toISOString() }, LIMITS.recentEvents);
  state.eventsReceived += 1;
  if (event.type === 'identify') mergeTraits(state, event.traits);
  if (event.context?.timezone && isValidTimeZone(event.context.timezone)) state.identities.timezone = event.context.timezone;
  if (event.type === 'track') recordOwnership(state, event, at);
  return true;
}

function recordOwnership(state: CustomerState, event: CustomerEvent, at: Date): void {
  const { sku, productId } = event.properties as { sku?: unknown; productId?: unknown };
  const id = typeof productId === 'string' || typeof productId === 'number' ? String(productId) : undefined;
  const owned = (state.owned ??= {});
  if (OWNERSHIP_EVENTS.acquired.includes(event.name) && typeof sku === 'string' && sku) {
    const entry = (owned[sku] ??= { since: at.toISOString(), productIds: [] });
    if (id && !entry.productIds.includes(id)) entry.productIds.push(id);
  } else if (OWNERSHIP_EVENTS.released.includes(event.name)) {
    // By product id when given (one of two identical TVs sold), else the whole SKU.
    for (const [k, entry] of Object.entries(owned)) {
      if (id && entry.productIds.includes(id)) entry.productIds = entry.productIds.filter((p) => p !== id);
      else if (!id && k === sku) entry.productIds = [];
      else continue;
      if (entry.productIds.length === 0) delete owned[k];
    }
  }
}

export function applyConsent(state: CustomerState, change: { channel?: Channel; topic?: Topic; granted: boolean; source?: string }, at: Date): void {
  if (change.channel && change.topic) (state.consent.pairs ??= {})[`${change.channel}:${change.topic}`] = change.granted;
  else if (change.channel) state.consent.channels[change.channel] = change.granted;
  else if (change.topic) state.consent.topics[change.topic] = change.granted;
  else return;
  pushBounded((state.consent.history ??= []), { at: at.toISOString(), ...change }, 50);
}

/** A provider's later report on a sent message: the ledger entry it updated, or undefined when no entry has
 *  that provider id. */
export function applyDeliveryStatus(state: CustomerState, s: { providerId: string; status: string; errorCode?: string }): LedgerEntry | undefined {
  const entry = state.ledger.find((e) => e.providerId === s.providerId);
  if (!entry) return undefined;
  entry.providerStatus = s.status;
  if (s.errorCode) entry.providerError = s.errorCode;
  return entry;
}

/** SKUs among `offers` that the customer owns now. */
export function ownedAmong(state: CustomerState, offers: readonly string[] = []): string[] {
  return offers.filter((sku) => state.owned?.[sku] !== undefined);
}

const IDENTITY_TRAITS = ['email', 'phone', 'timezone', 'locale'] as const;

export function mergeTraits(state: CustomerState, patch: Properties): void {
  for (const [k, v] of Object.entries(patch)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    if (v === null) delete state.traits[k];
    else state.traits[k] = v;
  }
  for (const k of IDENTITY_TRAITS) {
    if (!(k in patch)) continue;
    const v = patch[k];
    if (k === 'timezone') {
      // An unknown zone would break quiet hours and local-time sends: keep the last good one.
      if (typeof v === 'string' && isValidTimeZone(v)) state.identities.timezone = v;
      else if (v === null) state.identities.timezone = 'UTC';
    } else if (typeof v === 'string' && v) state.identities[k] = v;
    else if (v === null) delete state.identities[k]; // clearing the trait clears the address
  }
}

export function appendLedger(state: CustomerState, entry: LedgerEntry): void {
  const i = state.ledger.findIndex((e) => e.id === entry.id);
  if (i >= 0) {
    const prev = state.ledger[i];
    const holds = [...(prev.holds ?? []), ...(prev.status === 'deferred' ? [{ at: prev.at, reason: prev.reason, until: prev.until }] : [])].slice(-10);
    state.ledger[i] = holds.length ? { ...entry, holds } : entry;
  } else pushBounded(state.ledger, entry, LIMITS.ledger);
}

export function recordRejection(state: CustomerState, r: Rejection): void {
  pushBounded(state.rejections, r, LIMITS.rejections);
}
