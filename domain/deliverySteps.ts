// The pure steps of the customer workflow's delivery pipeline (workflows/delivery.ts runs them around the
// deliver activity): repeated requests, the ledger entry of each outcome, holding a deferred send, the
// fallback to the next channel, and releasing held sends.
import type { Channel } from '../sdk/events';
import type { CustomerState, DeliveryRequest, LedgerEntry } from './customerState';
import type { DeliverInput } from './delivery';
import type { Decision } from './deliveryPolicy';

/** One attempt of a request: the channels already tried and failed are skipped. */
export interface Attempt {
  request: DeliveryRequest;
  skip: Channel[];
}

/** A request whose ID the ledger has as `sending` or `sent` comes from a replay or a duplicate signal. It is ignored. */
export function alreadyTaken(state: Pick<CustomerState, 'ledger'>, request: DeliveryRequest): boolean {
  const existing = state.ledger.find((e) => e.id === request.id);
  return existing !== undefined && (existing.status === 'sent' || existing.status === 'sending');
}

/** The ledger fields shared by every outcome of one request. */
export function ledgerBase(request: DeliveryRequest, at: Date): Pick<LedgerEntry, 'id' | 'at' | 'journey' | 'version' | 'key' | 'template' | 'topic'> {
  return {
    id: request.id,
    at: at.toISOString(),
    journey: request.journey,
    ...(request.version !== undefined ? { version: request.version } : {}),
    key: request.key,
    template: request.template,
    topic: request.topic,
  };
}

/** Holds a deferred attempt in state.pending until the deferral ends, replacing an earlier hold of the same
 *  request. Returns the `deferred` ledger entry to record. */
export function hold(state: Pick<CustomerState, 'pending'>, attempt: Attempt, decision: Extract<Decision, { kind: 'defer' }>, at: Date): LedgerEntry {
  const { request, skip } = attempt;
  const until = decision.until.toISOString();
  state.pending = state.pending.filter((p) => p.request.id !== request.id);
  state.pending.push({ request, notBefore: until, reason: decision.reason, skip });
  return { ...ledgerBase(request, at), status: 'deferred', reason: decision.reason, until, detail: `until ${until}` };
}

/** The `suppressed` ledger entry of a request. */
export function suppressedEntry(request: DeliveryRequest, decision: Extract<Decision, { kind: 'suppress' }>, at: Date): LedgerEntry {
  return { ...ledgerBase(request, at), status: 'suppressed', reason: decision.reason, detail: decision.detail };
}

/** The deliver activity's input for a send the policy allowed. `links` (the customer's links now) is given
 *  for sends behind the `link-claims` patch. */
export function deliverInput(
  state: Pick<CustomerState, 'customerId' | 'traits'>,
  request: DeliveryRequest,
  send: Extract<Decision, { kind: 'send' }>,
  linkClaims: Pick<DeliverInput, 'links'>,
): DeliverInput {
  return {
    idempotencyKey: request.id,
    customerId: state.customerId,
    journey: request.journey,
    channel: send.channel,
    to: send.to,
    template: request.template,
    topic: request.topic,
    vars: { customer: { id: state.customerId }, traits: state.traits, data: request.data, journey: request.journey },
    ...linkClaims,
  };
}

/** The next attempt after a send on `channel` failed: the request's remaining channels, with a new idempotency key
 *  (`<id>~<channel>`). The journey still waits on its original ID (replyId). Undefined when no channel is left
 *  and the journey gets `failed`. */
export function fallbackAfter(attempt: Attempt, channel: Channel): Attempt | undefined {
  const { request, skip } = attempt;
  const remaining = request.channels.filter((c) => c !== channel && !skip.includes(c));
  if (remaining.length === 0) return undefined;
  return { request: { ...request, id: `${request.id}~${channel}`, replyId: request.replyId ?? request.id }, skip: [...skip, channel] };
}

/** Takes the held sends that are due at `nowMs` out of state.pending, in the order they were held. */
export function takeDue(state: Pick<CustomerState, 'pending'>, nowMs: number): Attempt[] {
  return takeHeld(state, (p) => Date.parse(p.notBefore) <= nowMs);
}

/** Takes the sends held for this reason (`paused`, on resume) out of state.pending: they go out now, subject
 *  to the policy again, instead of when their hold would have ended. */
export function releaseHeld(state: Pick<CustomerState, 'pending'>, reason: string): Attempt[] {
  return takeHeld(state, (p) => p.reason === reason);
}

function takeHeld(state: Pick<CustomerState, 'pending'>, take: (p: CustomerState['pending'][number]) => boolean): Attempt[] {
  const taken = state.pending.filter(take);
  if (taken.length) state.pending = state.pending.filter((p) => !taken.includes(p));
  return taken.map((p) => ({ request: p.request, skip: p.skip }));
}

/** When the earliest held send is due (ms since the epoch), or undefined when nothing is held. */
export function nextHeldAt(state: Pick<CustomerState, 'pending'>): number | undefined {
  return state.pending.length ? Math.min(...state.pending.map((p) => Date.parse(p.notBefore))) : undefined;
}

/** How long until the earliest held send is due (0 when it is overdue), or undefined when nothing is held. */
export function msUntilNextHeld(state: Pick<CustomerState, 'pending'>, now: Date): number | undefined {
  const next = nextHeldAt(state);
  return next === undefined ? undefined : Math.max(0, next - now.getTime());
}
