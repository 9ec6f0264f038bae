// The customer workflow's delivery pipeline: decide (domain/deliveryPolicy.ts) → reserve → the deliver
// activity → record → fallback to the next channel, with deferrals (quiet hours, pause) held in state.pending
// and the outcome signalled to the journey. The pure steps are in domain/deliverySteps.ts.
import { ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { Channel } from '../sdk/events';
import type { DeliveryActivities } from '../domain/delivery';
import { FailureTypes } from '../domain/delivery';
import { appendLedger, applyConsent, type DeliveryRequest, type LedgerEntry } from '../domain/customerState';
import { decide, type Decision } from '../domain/deliveryPolicy';
import { alreadyTaken, deliverInput, fallbackAfter, hold, ledgerBase, suppressedEntry, type Attempt } from '../domain/deliverySteps';
import { deliveryResultSignal } from '../domain/messages';
import { deliveryFact } from '../domain/facts';
import { signalJourney, type CustomerContext } from './customerContext';

// A normal activity, not a local one: with local activities a signal arriving mid-send made the core
// SDK fail the workflow task ("a new WFT for a run which already has one") on the test server.
const { deliver } = proxyActivities<DeliveryActivities>({
  startToCloseTimeout: '1 minute',
  // A send heartbeats while it runs past 5 s (activities/delivery.ts): a worker that died mid-send is noticed
  // after 20 s, not after the whole minute. Activity options are not part of replay, so no patch.
  heartbeatTimeout: '20 seconds',
  scheduleToCloseTimeout: '2 days',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: [FailureTypes.PermanentDelivery, FailureTypes.RecipientUnsubscribed, FailureTypes.TemplateNotFound],
  },
});

/** One attempt of a delivery request. The main loop starts it without waiting, so slow sends do not hold up
 *  event routing. The decision and the reservation happen in one synchronous step, so the next decision,
 *  even one running concurrently, already counts this send against the caps. */
export async function handleDelivery(ctx: CustomerContext, attempt: Attempt): Promise<void> {
  const { state } = ctx;
  const { request, skip } = attempt;
  if (alreadyTaken(state, request)) return;
  const at = ctx.now();
  // A send held (quiet hours, pause) past the end of its run: the customer exited, converted or bought the
  // cart meanwhile, so the message no longer applies. Nobody waits for the answer. Behind a patch, asked only
  // in this case, so histories in which such a send went out replay as they ran.
  if (runEnded(state, request) && patched('held-send-of-ended-run')) {
    record(ctx, suppressedEntry(request, { kind: 'suppress', reason: 'journey-ended', detail: 'the run ended while the message was held' }, at));
    return;
  }
  const decision = decide(state, request, at, ctx.config.policy, skip);
  if (decision.kind === 'defer') {
    record(ctx, hold(state, attempt, decision, at));
    return;
  }
  if (decision.kind === 'suppress') {
    record(ctx, suppressedEntry(request, decision, at));
    await replyToJourney(ctx, request, { status: 'suppressed', reason: decision.reason });
    return;
  }
  await send(ctx, attempt, decision, at);
}

/** Reserve (a `sending` entry), run the deliver activity, record the outcome; on failure, fall back to the
 *  next channel or tell the journey. */
async function send(ctx: CustomerContext, attempt: Attempt, decision: Extract<Decision, { kind: 'send' }>, at: Date): Promise<void> {
  const { state } = ctx;
  const { request } = attempt;
  const { channel, to } = decision;
  const base = ledgerBase(request, at);
  record(ctx, { ...base, channel, to, status: 'sending' });
  ctx.inFlight += 1;
  // The activity signs the mail's preference and unsubscribe links with the customer's current links. This is
  // behind a patch because the activity's input changed (sends recorded before it replay without).
  const linkClaims = patched('link-claims') ? { links: ctx.links() } : {};
  try {
    const out = await deliver(deliverInput(state, request, decision, linkClaims));
    record(ctx, { ...base, at: ctx.now().toISOString(), channel, to, status: 'sent', subject: out.subject, providerId: out.providerId });
    await replyToJourney(ctx, request, { status: 'sent', channel });
  } catch (err) {
    const { type, message } = failureOf(err);
    const reason = type ?? 'provider-error';
    if (type === FailureTypes.RecipientUnsubscribed) applyConsent(state, { channel, granted: false, source: 'provider-unsubscribed' }, ctx.now());
    record(ctx, { ...base, at: ctx.now().toISOString(), channel, to, status: 'failed', reason, detail: message });
    const next = fallbackAfter(attempt, channel);
    if (next) ctx.inbox.push({ kind: 'delivery', ...next });
    else await replyToJourney(ctx, request, { status: 'failed', channel, reason });
  } finally {
    ctx.inFlight -= 1;
  }
}

/** Whether the request's run has ended (exited, converted, failed): only a held send can outlive its run. */
function runEnded(state: CustomerContext['state'], request: DeliveryRequest): boolean {
  const run = state.journeys[request.journeyWorkflowId];
  return run !== undefined && run.status !== 'running' && run.status !== 'completed';
}

/** The failure type (ApplicationFailure.type) and message of a failed deliver activity. */
function failureOf(err: unknown): { type?: string; message: string } {
  const cause = err instanceof Error && 'cause' in err ? (err.cause as Error | undefined) : undefined;
  const type = cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
  return { type, message: cause?.message ?? String(err) };
}

/** The journey waits on its request ID (the original one, for a fallback attempt). */
async function replyToJourney(
  ctx: CustomerContext,
  request: DeliveryRequest,
  result: { status: 'sent' | 'suppressed' | 'failed'; channel?: Channel; reason?: string },
): Promise<void> {
  await signalJourney(ctx, request.journeyWorkflowId, (h) => h.signal(deliveryResultSignal, { id: request.replyId ?? request.id, ...result }));
}

/** Appends to the ledger; a decision (not the `sending` reservation) is counted in the worker's metrics and
 *  recorded as a fact. */
function record(ctx: CustomerContext, entry: LedgerEntry): void {
  appendLedger(ctx.state, entry);
  if (entry.status === 'sending') return;
  ctx.deliveries.add(1, { journey: entry.journey, channel: entry.channel ?? 'none', status: entry.status, reason: entry.reason ?? 'none' });
  ctx.fact(deliveryFact(ctx.state.customerId, entry));
}
