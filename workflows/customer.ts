// The customer entity workflow (`customer:<id>`): the single customer view. Every event enters here;
// it dedupes, merges traits, starts or signals the journeys that care, and runs the delivery pipeline,
// so consent and frequency caps are decided in one place.
import {
  ApplicationFailure,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  startChild,
  workflowInfo,
  log,
  metricMeter,
} from '@temporalio/workflow';
import type { DeliveryActivities } from '../domain/delivery';
import { FailureTypes } from '../domain/delivery';
import { toMs } from '../sdk/duration';
import type { Channel, CustomerEvent, JourneyEvent } from '../sdk/events';
import type { AnyJourney } from '../sdk/journey';
import { journeys } from '../journeys';
import {
  appendLedger,
  applyConsent,
  applyDeliveryStatus,
  initialState,
  linkStillValid,
  mergeTraits,
  recordEvent,
  recordRejection,
  type CustomerState,
  type DeliveryRequest,
  type LedgerEntry,
  type JourneyRun,
  type LinkState,
} from '../domain/customerState';
import { decide } from '../domain/deliveryPolicy';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from '../domain/engineConfig';
import { journeyWorkflow, type JourneyInput } from './journey';
import {
  deliveryRequestSignal,
  deliveryResultSignal,
  deliveryStatusSignal,
  eventSignal,
  exitJourneySignal,
  exitSignal,
  forgetLinksSignal,
  journeyEndedSignal,
  journeyEventSignal,
  journeyWorkflowId,
  journeysQuery,
  legacyJourneyWorkflowId,
  activityQuery,
  ledgerQuery,
  pauseSignal,
  profileQuery,
  resumeSignal,
  stateQuery,
  updateConsentSignal,
  updateTraitsSignal,
} from '../domain/messages';
import { phoneLookupKey } from '../domain/lookup';
import { CUSTOMER_ID, JOURNEY_NAME, JOURNEY_STEP, JOURNEY_VERSION, PHONE_LOOKUP } from '../domain/searchAttributes';
import { formatZodError } from '../domain/zodMessage';

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

export interface CustomerInput {
  customerId: string;
  config?: Partial<EngineConfig>;
  /** Carried across continue-as-new. */
  state?: CustomerState;
}

type Work =
  | { kind: 'event'; event: CustomerEvent }
  | { kind: 'delivery'; request: DeliveryRequest; skip: Channel[] }
  | { kind: 'exit'; workflowId?: string; journey?: string; reason?: string };

export async function customerWorkflow(input: CustomerInput): Promise<void> {
  /** Every delivery decision, by journey, channel, status and reason (scraped from the worker's /metrics). */
  const deliveries = metricMeter.createCounter('omnijourney_deliveries', 'messages', 'Delivery decisions of the customer workflows: sent, suppressed, deferred, failed');
  const config: EngineConfig = { ...DEFAULT_ENGINE_CONFIG, ...input.config };
  const state = input.state ?? initialState(input.customerId);
  const now = (): Date => new Date(Date.now() - config.clockOffsetMs);
  const inbox: Work[] = [];
  let inFlight = 0;

  setHandler(eventSignal, (event) => void inbox.push({ kind: 'event', event }));
  setHandler(deliveryRequestSignal, (request) => void inbox.push({ kind: 'delivery', request, skip: [] }));
  setHandler(exitJourneySignal, (x) => void inbox.push({ kind: 'exit', ...x }));
  setHandler(journeyEndedSignal, ({ workflowId, status, at }) => {
    const run = state.journeys[workflowId];
    if (run) Object.assign(run, { status, endedAt: at });
  });
  setHandler(updateTraitsSignal, (patch) => mergeTraits(state, patch));
  /** The customer's links as they are now: the generation, and this workflow chain's first run ID. */
  const links = (): LinkState => ({ generation: state.linkGeneration ?? 0, incarnation: workflowInfo().firstExecutionRunId });
  setHandler(updateConsentSignal, ({ link, ...change }) => {
    // Only the API's link routes send `link` (signals before link generations never carry it).
    if (link && !linkStillValid(links(), link)) return void log.info('consent change through a link that is no longer valid ignored', { source: change.source });
    applyConsent(state, change, now());
  });
  setHandler(forgetLinksSignal, ({ link }) => {
    if (link && !linkStillValid(links(), link)) return void log.info('forget-links through a link that is no longer valid ignored');
    state.linkGeneration = (state.linkGeneration ?? 0) + 1;
  });
  setHandler(deliveryStatusSignal, (s) => {
    if (!applyDeliveryStatus(state, s)) log.info('status for an unknown message', { providerId: s.providerId });
    // Twilio 21610: the recipient replied STOP at the carrier; never text them again until they opt in.
    if (s.errorCode === '21610') applyConsent(state, { channel: 'sms', granted: false, source: 'provider-21610' }, now());
  });
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => {
    state.paused = false;
    // Held messages go out now (subject to the policy again), not when their hold would have expired.
    const held = state.pending.filter((p) => p.reason === 'paused');
    state.pending = state.pending.filter((p) => p.reason !== 'paused');
    for (const p of held) inbox.push({ kind: 'delivery', request: p.request, skip: p.skip });
  });
  setHandler(profileQuery, () => ({
    customerId: state.customerId,
    traits: state.traits,
    identities: state.identities,
    consent: state.consent,
    recentEvents: state.recentEvents,
    paused: state.paused,
    links: links(),
  }));
  setHandler(stateQuery, () => state);
  setHandler(journeysQuery, () => Object.values(state.journeys));
  setHandler(ledgerQuery, () => state.ledger);
  setHandler(activityQuery, () => {
    const next = state.pending.length ? Math.min(...state.pending.map((p) => Date.parse(p.notBefore))) : undefined;
    return {
      inbox: inbox.length,
      inFlight,
      nextDeferred: next !== undefined ? new Date(next).toISOString() : undefined,
      // The journeys' own request ids (a fallback carries the original as replyId).
      deferred: state.pending.map((p) => p.request.replyId ?? p.request.id),
    };
  });

  const historyTooLong = (): boolean =>
    workflowInfo().historyLength >= config.continueAsNewAfter || workflowInfo().continueAsNewSuggested;

  async function startJourney(def: AnyJourney, event: CustomerEvent, jEvent: JourneyEvent, at: Date): Promise<string | null> {
    const parsed = def.trigger.schema.safeParse(event.properties);
    if (!parsed.success) {
      recordRejection(state, { at: at.toISOString(), journey: def.name, event: event.name, messageId: event.messageId, error: formatZodError(parsed.error) });
      log.warn('event rejected by journey schema', { journey: def.name, event: event.name, messageId: event.messageId });
      return null;
    }
    const props = parsed.data;
    if (def.trigger.when && !def.trigger.when(props, state.traits)) return null;
    const key = def.trigger.key ? String(def.trigger.key(props)) : undefined;
    // Journey IDs encode their parts (messages.ts): before, customer `carol:x` with cart `c1` and customer
    // `carol` with cart `x:c1` got one ID, and the second journey never started. New runs get the encoded ID,
    // behind a patch (histories from before it replay with the IDs they used; an ID without `%`, `:` or `#` is
    // the same either way and records no marker). A run started under the old ID keeps it: its record is
    // found by that ID, and events and exits go to the ID stored in it.
    const legacyId = legacyJourneyWorkflowId(def.name, state.customerId, key);
    const encodedId = journeyWorkflowId(def.name, state.customerId, key);
    const baseId = encodedId !== legacyId && patched('journey-id-encoded-parts') ? encodedId : legacyId;
    const legacy = baseId !== legacyId ? state.journeys[legacyId] : undefined;
    // (The old ID of another key can be this one, e.g. an overlapping run `c1#2` and the key `c1#2`: check.)
    const previous = state.journeys[baseId] ?? (legacy?.journey === def.name && legacy.key === key ? legacy : undefined);
    const policy = def.reentry ?? 'one-at-a-time';
    let workflowId = baseId;
    if (previous) {
      const running = previous.status === 'running';
      if (policy === 'never') return null;
      if (policy === 'one-at-a-time' && running) return null;
      if (typeof policy === 'object') {
        if (running) return null;
        const since = at.getTime() - Date.parse(previous.endedAt ?? previous.enteredAt);
        if (since < toMs(policy.cooldown)) return null;
      }
      if (policy === 'always' && running) workflowId = `${baseId}#${previous.entries + 1}`;
    }
    const entryNo = (previous?.entries ?? 0) + 1;
    const journeyInput: JourneyInput = {
      journey: def.name,
      customerId: state.customerId,
      key,
      entryNo,
      entry: { ...jEvent, properties: props as Record<string, unknown> },
      traits: state.traits,
      timezone: state.identities.timezone,
      clockOffsetMs: config.clockOffsetMs,
    };
    try {
      await startChild(journeyWorkflow, {
        workflowId,
        args: [journeyInput],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        staticSummary: `${def.name} v${def.version} for customer ${state.customerId}${key ? ` (${key})` : ''}`,
        typedSearchAttributes: [
          { key: CUSTOMER_ID, value: state.customerId },
          { key: JOURNEY_NAME, value: def.name },
          { key: JOURNEY_VERSION, value: def.version },
          { key: JOURNEY_STEP, value: 'entered' },
        ],
      });
    } catch (err) {
      // Already running under that ID (a race with its end): it will get the event as a signal instead.
      log.warn('journey not started', { workflowId, error: String(err) });
      return null;
    }
    const run = { workflowId, journey: def.name, key, status: 'running' as const, enteredAt: at.toISOString(), entries: entryNo };
    if (workflowId === baseId) state.journeys[baseId] = run;
    else {
      // An overlapping 'always' entry: its own record, and the base record only counts the entry.
      state.journeys[workflowId] = run;
      (previous as JourneyRun).entries = entryNo;
    }
    return workflowId;
  }

  async function signalJourney(workflowId: string, fn: (h: ReturnType<typeof getExternalWorkflowHandle>) => Promise<void>): Promise<void> {
    try {
      await fn(getExternalWorkflowHandle(workflowId));
    } catch (err) {
      // The run ended between our bookkeeping and the signal: nothing to deliver to.
      const run = state.journeys[workflowId];
      if (run && run.status === 'running') Object.assign(run, { status: 'completed', endedAt: now().toISOString() });
      log.info('journey not reachable', { workflowId, error: String(err) });
    }
  }

  function runningJourneys(): string[] {
    return [...new Set(Object.values(state.journeys).filter((r) => r.status === 'running').map((r) => r.workflowId))];
  }

  async function handleEvent(event: CustomerEvent): Promise<void> {
    const at = now();
    if (!recordEvent(state, event, at)) {
      log.info('duplicate event ignored', { messageId: event.messageId });
      return;
    }
    const jEvent: JourneyEvent = {
      name: event.name,
      messageId: event.messageId,
      properties: event.type === 'identify' ? event.traits : event.properties,
      receivedAt: at.toISOString(),
    };
    const alreadyRunning = runningJourneys();
    for (const def of journeys) {
      // Routing is replayed from history like any workflow code. The marker makes adding a journey safe
      // for live customers: events from before the deploy replay without it (no journey started, as
      // their history says); events after it start the new journey.
      if (def.trigger.event === event.name && patched(`route:${def.name}`)) await startJourney(def, event, jEvent, at);
    }
    await Promise.all(alreadyRunning.map((id) => signalJourney(id, (h) => h.signal(journeyEventSignal, jEvent))));
  }

  async function replyToJourney(request: DeliveryRequest, result: { status: 'sent' | 'suppressed' | 'failed'; channel?: Channel; reason?: string }): Promise<void> {
    await signalJourney(request.journeyWorkflowId, (h) => h.signal(deliveryResultSignal, { id: request.replyId ?? request.id, ...result }));
  }

  async function handleDelivery(request: DeliveryRequest, skip: Channel[]): Promise<void> {
    const existing = state.ledger.find((e) => e.id === request.id);
    if (existing && (existing.status === 'sent' || existing.status === 'sending')) return; // a repeated request
    const at = now();
    const decision = decide(state, request, at, config.policy, skip);
    const base = { id: request.id, at: at.toISOString(), journey: request.journey, key: request.key, template: request.template, topic: request.topic };
    if (decision.kind === 'defer') {
      state.pending = state.pending.filter((p) => p.request.id !== request.id);
      state.pending.push({ request, notBefore: decision.until.toISOString(), reason: decision.reason, skip });
      record({ ...base, status: 'deferred', reason: decision.reason, until: decision.until.toISOString(), detail: `until ${decision.until.toISOString()}` });
      return;
    }
    if (decision.kind === 'suppress') {
      record({ ...base, status: 'suppressed', reason: decision.reason, detail: decision.detail });
      await replyToJourney(request, { status: 'suppressed', reason: decision.reason });
      return;
    }
    const { channel, to } = decision;
    record({ ...base, channel, to, status: 'sending' });
    inFlight += 1;
    // The activity signs the mail's preference and unsubscribe links with the customer's current links; a
    // patch, as the activity's input changes (sends recorded before it replay without).
    const linkClaims = patched('link-claims') ? { links: links() } : {};
    try {
      const out = await deliver({
        idempotencyKey: request.id,
        customerId: state.customerId,
        journey: request.journey,
        channel,
        to,
        template: request.template,
        topic: request.topic,
        vars: { customer: { id: state.customerId }, traits: state.traits, data: request.data, journey: request.journey },
        ...linkClaims,
      });
      record({ ...base, at: now().toISOString(), channel, to, status: 'sent', subject: out.subject, providerId: out.providerId });
      await replyToJourney(request, { status: 'sent', channel });
    } catch (err) {
      const cause = err instanceof Error && 'cause' in err ? (err.cause as Error | undefined) : undefined;
      const type = cause instanceof ApplicationFailure ? cause.type : undefined;
      const message = cause?.message ?? String(err);
      if (type === FailureTypes.RecipientUnsubscribed) applyConsent(state, { channel, granted: false, source: 'provider-unsubscribed' }, now());
      record({ ...base, at: now().toISOString(), channel, to, status: 'failed', reason: type ?? 'provider-error', detail: message });
      const remaining = request.channels.filter((c) => c !== channel && !skip.includes(c));
      if (remaining.length > 0) {
        // Fallback: a permanent failure on one channel moves to the next, with a fresh idempotency key.
        inbox.push({ kind: 'delivery', request: { ...request, id: `${request.id}~${channel}`, replyId: request.replyId ?? request.id }, skip: [...skip, channel] });
      } else {
        await replyToJourney(request, { status: 'failed', channel, reason: type ?? 'provider-error' });
      }
    } finally {
      inFlight -= 1;
    }
  }

  async function handleExit(w: { workflowId?: string; journey?: string; reason?: string }): Promise<void> {
    const targets = runningJourneys().filter((id) => id === w.workflowId || state.journeys[id]?.journey === w.journey);
    await Promise.all(targets.map((id) => signalJourney(id, (h) => h.signal(exitSignal, { reason: w.reason ?? 'operator' }))));
  }

  function nextPendingDelayMs(): number | undefined {
    if (state.pending.length === 0) return undefined;
    const earliest = Math.min(...state.pending.map((p) => Date.parse(p.notBefore)));
    return Math.max(0, earliest - now().getTime());
  }

  /** Appends to the ledger and counts the outcome in the worker's metrics. */
  function record(entry: LedgerEntry): void {
    appendLedger(state, entry);
    if (entry.status !== 'sending') deliveries.add(1, { journey: entry.journey, channel: entry.channel ?? 'none', status: entry.status, reason: entry.reason ?? 'none' });
  }

  /** What an operator sees in the UI's "current details": running journeys, held messages and why. */
  function describeCustomer(): void {
    const running = Object.values(state.journeys).filter((r) => r.status === 'running');
    const lines = [`**customer ${state.customerId}**${state.paused ? ' · **paused** (messages held until resume)' : ''}`];
    lines.push(running.length ? `in ${running.length} journey(s): ${running.map((r) => `${r.journey}${r.key ? `:${r.key}` : ''}`).join(', ')}` : 'in no journey');
    for (const p of state.pending) lines.push(`holding \`${p.request.template}\` (${p.reason}) until ${p.notBefore}`);
    const last = state.ledger.at(-1);
    if (last) lines.push(`last delivery: \`${last.template}\` ${last.status}${last.reason ? ` (${last.reason})` : ''} at ${last.at}`);
    setCurrentDetails(lines.join('\n\n'));
  }

  /** Keeps the PhoneLookup search attribute in step with the phone number (for inbound SMS routing). */
  let publishedPhone: string | undefined;
  function publishPhoneLookup(): void {
    const phone = state.identities.phone;
    if (phone === publishedPhone || !patched('phone-lookup')) return;
    upsertSearchAttributes([{ key: PHONE_LOOKUP, value: phone ? phoneLookupKey(config.lookupSecret, phone) : null }]);
    publishedPhone = phone;
  }

  for (;;) {
    publishPhoneLookup();
    describeCustomer();
    const delay = nextPendingDelayMs();
    const wake = (): boolean => inbox.length > 0 || (historyTooLong() && inFlight === 0);
    if (delay === undefined) await condition(wake);
    else if (delay > 0) await condition(wake, delay);

    const due = state.pending.filter((p) => Date.parse(p.notBefore) <= now().getTime());
    if (due.length) {
      state.pending = state.pending.filter((p) => !due.includes(p));
      for (const p of due) inbox.push({ kind: 'delivery', request: p.request, skip: p.skip });
    }

    const work = inbox.shift();
    if (!work) {
      if (historyTooLong() && inFlight === 0) {
        await condition(allHandlersFinished);
        if (inbox.length === 0) await continueAsNew<typeof customerWorkflow>({ ...input, state });
      }
      continue;
    }
    if (work.kind === 'event') await handleEvent(work.event);
    else if (work.kind === 'exit') await handleExit(work);
    else void handleDelivery(work.request, work.skip);
  }
}
