// The customer entity workflow (`customer:<id>`): the single customer view. Every event enters here. It
// dedupes, merges traits, starts or signals the journeys that care (routing.ts), and runs the delivery
// pipeline (delivery.ts), so consent and frequency caps are decided in one place. This file is the entity:
// its state, its handlers, and a main loop that takes one item of work at a time and continues-as-new
// when the history grows long.
import { allHandlersFinished, condition, continueAsNew, log, metricMeter, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import { applyConsent, applyDeliveryStatus, initialState, linkStillValid, mergeTraits, type CustomerState } from '../domain/customerState';
import { customerDetails } from '../domain/customerDetails';
import { msUntilNextHeld, nextHeldAt, releaseHeld, takeDue } from '../domain/deliverySteps';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from '../domain/engineConfig';
import {
  customerExitJourneySignal,
  deliveryRequestSignal,
  deliveryStatusSignal,
  eventSignal,
  eventsSignal,
  forgetLinksSignal,
  journeyEndedSignal,
  journeysQuery,
  ledgerQuery,
  pauseSignal,
  profileQuery,
  resumeSignal,
  stateQuery,
  updateConsentSignal,
  updateTraitsSignal,
  workQuery,
} from '../domain/messages';
import { recordJourneyEnded } from '../domain/routing';
import { deliveryFact } from '../domain/facts';
import type { CustomerContext } from './customerContext';
import { handleDelivery } from './delivery';
import { handOverJourneys } from './journeyEnds';
import { factRecorder } from './facts';
import { phoneLookupPublisher } from './phoneLookup';
import { exitJourneys, routeEvent } from './routing';

export interface CustomerInput {
  customerId: string;
  config?: Partial<EngineConfig>;
  /** Carried across continue-as-new. */
  state?: CustomerState;
}

export async function customerWorkflow(input: CustomerInput): Promise<void> {
  const ctx = customerContext(input);
  const { state, inbox } = ctx;
  handleSignals(ctx);
  answerQueries(ctx);
  const publishPhoneLookup = phoneLookupPublisher(ctx);
  const historyTooLong = (): boolean => workflowInfo().historyLength >= ctx.config.continueAsNewAfter || workflowInfo().continueAsNewSuggested;
  const readyToContinueAsNew = (): boolean => historyTooLong() && ctx.inFlight === 0;

  for (;;) {
    publishPhoneLookup();
    setCurrentDetails(customerDetails(state));
    // Held sends are not in the inbox: the loop wakes when the earliest one is due.
    const delay = msUntilNextHeld(state, ctx.now());
    const wake = (): boolean => inbox.length > 0 || readyToContinueAsNew();
    if (delay === undefined) await condition(wake);
    else if (delay > 0) await condition(wake, delay);

    for (const held of takeDue(state, ctx.now().getTime())) inbox.push({ kind: 'delivery', ...held });

    const work = inbox.shift();
    if (!work) {
      if (readyToContinueAsNew()) {
        await condition(allHandlersFinished);
        // The next run will not see this one's children close: they report their end to it by signal.
        await handOverJourneys(ctx);
        if (inbox.length === 0) await continueAsNew<typeof customerWorkflow>({ ...input, state });
      }
      continue;
    }
    if (work.kind === 'event') await routeEvent(ctx, work.event);
    else if (work.kind === 'exit') await exitJourneys(ctx, work);
    else void handleDelivery(ctx, work);
  }
}

function customerContext(input: CustomerInput): CustomerContext {
  const config: EngineConfig = { ...DEFAULT_ENGINE_CONFIG, ...input.config };
  const state = input.state ?? initialState(input.customerId);
  return {
    state,
    config,
    inbox: [],
    inFlight: 0,
    watched: new Map(),
    now: () => new Date(Date.now() - config.clockOffsetMs),
    links: () => ({ generation: state.linkGeneration ?? 0, incarnation: workflowInfo().firstExecutionRunId }),
    deliveries: metricMeter.createCounter(
      'omnijourney_deliveries',
      'messages',
      'Delivery decisions of the customer workflows: sent, suppressed, deferred, failed',
    ),
    fact: factRecorder(),
  };
}

/** Signal handlers only queue work for the main loop or make small state changes; none of them waits. */
function handleSignals(ctx: CustomerContext): void {
  const { state, inbox } = ctx;
  // `events` first: the signals that reach a new workflow before its first task go to their handlers as each is
  // registered, and every sender now uses `events` (client/events.ts), so they keep their order. `event` stays for
  // histories and senders from before it.
  setHandler(eventsSignal, (events) => void inbox.push(...events.map((event) => ({ kind: 'event' as const, event }))));
  setHandler(eventSignal, (event) => void inbox.push({ kind: 'event', event }));
  setHandler(deliveryRequestSignal, (request) => void inbox.push({ kind: 'delivery', request, skip: [] }));
  setHandler(customerExitJourneySignal, (exit) => void inbox.push({ kind: 'exit', ...exit }));
  setHandler(journeyEndedSignal, (ended) => recordJourneyEnded(state, ended));
  setHandler(updateTraitsSignal, (patch) => mergeTraits(state, patch));
  setHandler(updateConsentSignal, ({ link, ...change }) => {
    // Only the API's link routes send `link` (signals before link generations never carry it).
    if (link && !linkStillValid(ctx.links(), link))
      return void log.info('consent change through a link that is no longer valid ignored', { source: change.source });
    applyConsent(state, change, ctx.now());
  });
  setHandler(forgetLinksSignal, ({ link }) => {
    if (link && !linkStillValid(ctx.links(), link)) return void log.info('forget-links through a link that is no longer valid ignored');
    state.linkGeneration = (state.linkGeneration ?? 0) + 1;
  });
  setHandler(deliveryStatusSignal, (s) => {
    const entry = applyDeliveryStatus(state, s);
    if (!entry) log.info('status for an unknown message', { providerId: s.providerId });
    else ctx.fact({ ...deliveryFact(state.customerId, entry), kind: 'provider', at: ctx.now().toISOString(), status: s.status, reason: s.errorCode });
    // Twilio 21610: the recipient replied STOP at the carrier; never text them again until they opt in.
    if (s.errorCode === '21610') applyConsent(state, { channel: 'sms', granted: false, source: 'provider-21610' }, ctx.now());
  });
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => {
    state.paused = false;
    // Held messages go out now (subject to the policy again), not when their hold would have expired.
    for (const held of releaseHeld(state, 'paused')) inbox.push({ kind: 'delivery', ...held });
  });
}

function answerQueries(ctx: CustomerContext): void {
  const { state, inbox } = ctx;
  setHandler(profileQuery, () => ({
    customerId: state.customerId,
    traits: state.traits,
    identities: state.identities,
    consent: state.consent,
    recentEvents: state.recentEvents,
    paused: state.paused,
    links: ctx.links(),
  }));
  setHandler(stateQuery, () => state);
  setHandler(journeysQuery, () => Object.values(state.journeys));
  setHandler(ledgerQuery, () => state.ledger);
  setHandler(workQuery, () => {
    const next = nextHeldAt(state);
    return {
      inbox: inbox.length,
      inFlight: ctx.inFlight,
      nextDeferred: next !== undefined ? new Date(next).toISOString() : undefined,
      // The journeys' own request ids (a fallback carries the original as replyId).
      deferred: state.pending.map((p) => p.request.replyId ?? p.request.id),
    };
  });
}
