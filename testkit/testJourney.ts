// Unit-testing a journey's decisions without a server: runs the engine's own verb code
// (domain/journeyContext.ts, what the journey workflow runs) over a virtual clock, with the events you
// script, and returns what the customer would have received.
//
// Shared with the engine: the trigger's schema, rejection message, entry condition and key
// (domain/trigger.ts), every verb, exit events, goal, the event buffer waitFor reads, the timeline, what a
// customer owns (domain/customerState.ts recordEvent), and the delivery pipeline's decisions: the policy
// (domain/deliveryPolicy.ts `decide`: consent, addresses, already-owned, quiet hours, caps, `urgent`) with
// the engine's defaults, holding a deferred send and falling back to the next channel
// (domain/deliverySteps.ts). Only the provider is pretend: a send the policy allows goes out unless
// `deliver` says otherwise. `simulate` (and the integration tests) run the real engine; this is for fast
// tests of journey logic.
import type { z } from 'zod';
import { appendLedger, initialState, mergeTraits, OWNERSHIP_EVENTS, recordEvent, type CustomerState, type DeliveryRequest } from '../domain/customerState';
import { DEFAULT_POLICY, decide, type DeliveryPolicyConfig } from '../domain/deliveryPolicy';
import { fallbackAfter, hold, ledgerBase, suppressedEntry, takeDue, type Attempt } from '../domain/deliverySteps';
import { createJourneyRun, isVerbPatch, type Ending, type JourneyRuntime } from '../domain/journeyContext';
import { journeyWorkflowId, type TimelineEntry } from '../domain/messages';
import { decideEntry, skipReason } from '../domain/routing';
import { admitEntry } from '../domain/trigger';
import type { Duration } from '../sdk/duration';
import { toMs } from '../sdk/duration';
import { isValidTimeZone } from '../sdk/timezone';
import type { Channel, CustomerEvent, JourneyEvent, Properties, Topic } from '../sdk/events';
import type { AnyJourney, JourneyDefinition, SendResult } from '../sdk/journey';

export interface ScriptedEvent {
  /** An offset from the start ("2h", "3 days") or an ISO instant. */
  at: Duration | string;
  name: string;
  properties?: Properties;
}

export interface TestMessage {
  /** When the journey asked for it. */
  at: string;
  channels: Channel[];
  template: string;
  data: Properties;
  topic: Topic;
  urgent: boolean;
  offers?: string[];
  /** What the customer got. `held`: the run ended while quiet hours held the message; the engine still
   *  sends it when they end (the customer workflow keeps held sends of runs that have ended). */
  status: SendResult['status'] | 'held';
  channel?: Channel;
  /** The address it went to (the customer's email or phone; the channel's name for webhook and Slack). */
  to?: string;
  reason?: string;
  /** The policy's words for a suppression, e.g. "2 marketing messages in the last 24 h (cap 2)". */
  detail?: string;
  /** When the pipeline decided its fate: `at`, or later when quiet hours held it. */
  decidedAt: string;
  /** Each time the policy held it back, and until when. */
  held?: Array<{ reason: 'quiet-hours' | 'paused'; until: string }>;
}

/** A message the customer got before the run (another journey's), so it counts against the caps. */
export interface EarlierMessage {
  /** How long before the start, e.g. "3 hours". */
  ago: Duration;
  channel?: Channel;
  topic?: Topic;
}

export interface JourneyTestOptions<S extends z.ZodType> {
  /** The trigger event's properties (validated by the journey's schema, as the engine does). */
  entry: z.input<S>;
  start?: string;
  customerId?: string;
  traits?: Properties;
  timezone?: string;
  events?: ScriptedEvent[];
  /** The delivery policy, as in the engine's configuration: default DEFAULT_POLICY, what the engine runs
   *  with unless QUIET_HOURS or CAP_* say otherwise (quiet hours 21:00-08:00 in the customer's timezone, at
   *  most 2 marketing messages a day and 5 a week). Given fields replace the defaults: `quietHours: null`
   *  is QUIET_HOURS=off, `caps: { perDay: 2, perWeek: 5, channels: { sms: { perDay: 1 } } }` adds a cap for SMS. */
  policy?: Partial<DeliveryPolicyConfig>;
  /** The customer's consent, as the engine keeps it: email is opt-out, SMS needs an opt-in
   *  (`{ channels: { sms: true } }`), topics are granted unless refused. */
  consent?: { channels?: Partial<Record<Channel, boolean>>; topics?: Partial<Record<Topic, boolean>> };
  /** Messages from other journeys the customer got before the start (they count against the caps). */
  sentBefore?: EarlierMessage[];
  /** The provider's answer for a message the policy let through on `channel` (undefined: it went out). A
   *  `failed` answer makes the engine try the request's next channel, as it does for a provider error. */
  deliver?: (message: Omit<TestMessage, 'status' | 'reason' | 'detail' | 'decidedAt' | 'held'> & { channel: Channel }) => SendResult | undefined;
  /** SKUs the customer owns at the start (as if bought, without a product id); scripted product.purchased /
   *  product.sold / product.returned events change what they own as in the engine (a sale or return with a
   *  productId releases that unit, one without releases the SKU), and a marketing send offering an owned SKU
   *  is suppressed (`already-owned`). */
  owned?: string[];
  /** The customer's earlier runs of this journey (`key` defaults to this run's; no `endedAt`: still running).
   *  The journey's `reentry` rule decides on them as the customer workflow does (domain/routing.ts): a run it
   *  refuses is `not-entered`, with the reason (`cooldown until <ISO>`, `running`, `never`). */
  earlierRuns?: Array<{ key?: string; enteredAt?: string; endedAt?: string }>;
  /** What `j.patched(id)` returns (default true: the new code path). The engine's own patches of the verbs
   *  are always taken, as by any run that starts now. */
  patched?: (changeId: string) => boolean;
  /** Stop with an error when the journey runs longer than this (default 10 years). */
  maxDuration?: Duration;
}

export type JourneyTestOutcome = 'completed' | 'exited' | 'converted' | 'rejected' | 'not-entered';

export interface JourneyTestResult {
  outcome: JourneyTestOutcome;
  /** The entity key the engine would run this journey under (one run per key). */
  key?: string;
  /** Exit event, goal event, or the schema error (as the engine records it: "properties.<field>: …"). */
  reason?: string;
  endedAt: string;
  messages: TestMessage[];
  /** Templates of the messages that went out, in order. */
  sent: string[];
  /** The customer as the engine's delivery pipeline knew them at the end: traits, addresses, consent, the
   *  ledger of every decision (sent, suppressed, deferred, failed), what they own. */
  customer: CustomerState;
  steps: Array<{ at: string; step: string }>;
  splits: Record<string, string>;
  traits: Properties;
  /** One readable line per thing that happened, for failure messages and snapshots. */
  log: string[];
  /** The run's timeline, as the journey workflow's `status` query shows it (its last 300 entries). */
  timeline: TimelineEntry[];
}

class Ended extends Error {
  constructor(readonly ending: Ending) {
    super(`journey ${ending.kind}: ${ending.reason}`);
  }
}

const ISO = /^\d{4}-\d{2}-\d{2}T/;

export async function testJourney<S extends z.ZodType>(def: JourneyDefinition<S>, options: JourneyTestOptions<S>): Promise<JourneyTestResult> {
  const start = Date.parse(options.start ?? '2026-01-05T09:00:00Z');
  if (Number.isNaN(start)) throw new Error(`testJourney: invalid start "${options.start}"`);
  const customerId = options.customerId ?? 'test-customer';
  const timezone = options.timezone ?? (typeof options.traits?.timezone === 'string' ? options.traits.timezone : 'UTC');
  const iso = (t: number) => new Date(t).toISOString();
  const result: JourneyTestResult = {
    outcome: 'completed',
    endedAt: iso(start),
    messages: [],
    sent: [],
    customer: initialState(customerId),
    steps: [],
    splits: {},
    traits: { ...options.traits },
    log: [],
    timeline: [],
  };

  const admitted = admitEntry(def, options.entry, result.traits);
  if (admitted.outcome !== 'entered') return { ...result, outcome: admitted.outcome, reason: admitted.reason };
  result.key = admitted.key;
  const earlier = earlierRuns(def.name, customerId, options.earlierRuns ?? [], result.key, start);
  const entered = decideEntry(earlier, def, result.key, sameIds(def.name, customerId, result.key), true, new Date(start));
  if (entered.kind === 'skip') return { ...result, outcome: 'not-entered', reason: skipReason(entered) };
  const entry: JourneyEvent = { name: def.trigger.event, messageId: 'test-entry', properties: admitted.properties as Properties, receivedAt: iso(start) };
  const input = { journey: def.name, customerId, key: result.key, entryNo: entered.entryNo, entry, traits: result.traits, timezone, clockOffsetMs: 0 };

  const clock = virtualClock(def.name, start, options);
  result.log = clock.log;
  result.customer = clock.customer;
  const run = createJourneyRun(def as unknown as AnyJourney, input, entered.workflowId, testRuntime(clock, result, options));
  clock.onEvent = run.onEvent;
  await run.run();
  return {
    ...result,
    outcome: run.status.status as JourneyTestOutcome,
    reason: run.ending()?.reason,
    endedAt: iso(clock.now),
    traits: run.traits(),
    timeline: run.status.timeline,
  };
}

/** testJourney's runs have no IDs from before the encoding: both forms are the encoded one. */
const sameIds = (journey: string, customerId: string, key?: string) => {
  const id = journeyWorkflowId(journey, customerId, key);
  return { encoded: id, legacy: id };
};

type EarlierRun = NonNullable<JourneyTestOptions<z.ZodType>['earlierRuns']>[number];

/** The customer's record of earlier runs, as the customer workflow keeps it: one record per key, the latest run's. */
function earlierRuns(journey: string, customerId: string, runs: EarlierRun[], key: string | undefined, start: number) {
  const state: Parameters<typeof decideEntry>[0] = { journeys: {} };
  const instant = (iso: string, what: string) => {
    if (Number.isNaN(Date.parse(iso))) throw new Error(`testJourney: earlierRuns ${what} "${iso}" is not an ISO instant`);
    return new Date(Date.parse(iso)).toISOString();
  };
  const entered = (r: EarlierRun) => instant(r.enteredAt ?? r.endedAt ?? new Date(start).toISOString(), r.enteredAt === undefined ? 'endedAt' : 'enteredAt');
  for (const r of [...runs].sort((a, b) => entered(a).localeCompare(entered(b)))) {
    const workflowId = journeyWorkflowId(journey, customerId, r.key ?? key);
    const entries = (state.journeys[workflowId]?.entries ?? 0) + 1;
    const end = r.endedAt === undefined ? { status: 'running' as const } : { status: 'completed' as const, endedAt: instant(r.endedAt, 'endedAt') };
    state.journeys[workflowId] = { workflowId, journey, key: r.key ?? key, enteredAt: entered(r), entries, ...end };
  }
  return state;
}

interface VirtualClock {
  now: number;
  log: string[];
  /** The customer as the engine keeps it (what they own), changed by the scripted events. */
  readonly customer: ReturnType<typeof initialState>;
  onEvent: (event: JourneyEvent) => void;
  /** Moves the clock to `ms` from now, delivering the scripted events due on the way; stops early, after an
   *  event, once `until()` holds (and returns true). */
  advance(ms: number, until?: () => boolean): boolean;
  note(text: string, at?: string): void;
}

function virtualClock(journey: string, start: number, options: JourneyTestOptions<z.ZodType>): VirtualClock {
  const limit = start + toMs(options.maxDuration ?? '3650 days');
  const iso = (t: number) => new Date(t).toISOString();
  const script = (options.events ?? [])
    .map((e, i) => ({
      at: typeof e.at === 'string' && ISO.test(e.at) ? Date.parse(e.at) : start + toMs(e.at),
      event: { name: e.name, messageId: `test-${i + 1}`, properties: e.properties ?? {} },
    }))
    .sort((a, b) => a.at - b.at);
  let cursor = 0;
  const customerId = options.customerId ?? 'test-customer';
  const customer = initialState(customerId);
  const customerEvent = (e: { name: string; messageId: string; properties: Properties }): CustomerEvent => {
    const identify = e.name === 'identify';
    return {
      messageId: e.messageId,
      type: identify ? 'identify' : 'track',
      customerId,
      name: e.name,
      properties: identify ? {} : e.properties,
      traits: identify ? e.properties : {},
      context: {},
    };
  };
  (options.owned ?? []).forEach((sku, i) =>
    recordEvent(customer, customerEvent({ name: OWNERSHIP_EVENTS.acquired[0], messageId: `test-owned-${i + 1}`, properties: { sku } }), new Date(start)),
  );
  // The profile the pipeline decides on: an email address unless the traits give one (or clear it with
  // null), the timezone the run starts in, the consent given, and other journeys' earlier messages.
  mergeTraits(customer, { email: `${customerId}@example.com`, ...options.traits });
  if (options.timezone !== undefined && !isValidTimeZone(options.timezone))
    throw new Error(`testJourney: timezone "${options.timezone}" is not an IANA timezone`);
  customer.identities.timezone = options.timezone ?? customer.identities.timezone;
  Object.assign(customer.consent.channels, options.consent?.channels);
  Object.assign(customer.consent.topics, options.consent?.topics);
  (options.sentBefore ?? []).forEach((m, i) =>
    appendLedger(customer, {
      id: `test-earlier-${i + 1}`,
      at: iso(start - toMs(m.ago)),
      journey: 'earlier',
      template: 'earlier',
      topic: m.topic ?? 'marketing',
      channel: m.channel ?? 'email',
      status: 'sent',
    }),
  );

  const clock: VirtualClock = {
    now: start,
    customer,
    log: [],
    onEvent: () => undefined,
    note(text: string, at = iso(clock.now)) {
      clock.log.push(`${at}  ${text}`);
    },
    advance(ms: number, until?: () => boolean): boolean {
      const to = clock.now + ms;
      if (to > limit) throw new Error(`testJourney: ${journey} still running at ${iso(to)}; raise maxDuration or check for an endless loop`);
      if (until?.()) return true;
      while (cursor < script.length && script[cursor].at <= to) {
        const { at, event } = script[cursor++];
        clock.now = Math.max(clock.now, at);
        const e = { ...event, receivedAt: iso(clock.now) };
        clock.note(`event ${e.name}`);
        recordEvent(customer, customerEvent(e), new Date(clock.now));
        clock.onEvent(e);
        if (until?.()) return true;
      }
      clock.now = Math.max(clock.now, to);
      return false;
    },
  };
  return clock;
}

/** The verbs' runtime on the virtual clock: instant sends and trait updates, an ending is an exception. */
function testRuntime(clock: VirtualClock, result: JourneyTestResult, options: JourneyTestOptions<z.ZodType>): JourneyRuntime {
  let ended: Ended | undefined;
  const stopIfEnded = () => {
    if (ended) throw ended;
  };
  return {
    now: () => new Date(clock.now),
    async sleep(ms) {
      stopIfEnded();
      clock.advance(ms);
    },
    async condition(fn, ms) {
      stopIfEnded();
      return clock.advance(ms, fn);
    },
    async deliver(request) {
      stopIfEnded();
      const { channels, template, data, topic, urgent, offers } = request;
      const message: TestMessage = {
        at: request.requestedAt,
        channels,
        template,
        data,
        topic,
        urgent,
        ...(offers ? { offers } : {}),
        status: 'held',
        decidedAt: '',
      };
      result.messages.push(message);
      const outcome = await throughPipeline(clock, message, request, { ...DEFAULT_POLICY, ...options.policy }, options.deliver);
      if (outcome.status === 'sent') result.sent.push(template);
      return outcome;
    },
    async updateTraits(patch) {
      stopIfEnded();
      mergeTraits(clock.customer, patch);
      clock.note(`traits ${JSON.stringify(patch)}`);
    },
    upsertStep: () => undefined,
    patched: (changeId) => isVerbPatch(changeId) || (options.patched?.(changeId) ?? true),
    describe: () => undefined,
    scope: (body) => body(),
    end(ending) {
      ended = new Ended(ending);
      throw ended;
    },
    isEnding: (err) => err instanceof Ended,
    failure: (message) => new Error(message),
    recorded(e) {
      if (e.kind === 'step' && e.step) {
        result.steps.push({ at: e.at, step: e.step });
        clock.note(`step ${e.step}`, e.at);
      } else if (e.kind === 'split' && e.step && e.detail) {
        result.splits[e.step] = e.detail;
        clock.note(`split ${e.step} → ${e.detail}`, e.at);
      } else if (e.kind === 'converted') clock.note(`converted (${e.detail})`, e.at);
      else if (e.kind === 'message') clock.note(`sent ${e.template} (${e.channel})`, e.at);
      else if (e.kind === 'ignored') clock.note(`ignored ${e.detail} (${e.reason})`, e.at);
      else if (e.kind === 'suppressed' || e.kind === 'failed') clock.note(`${e.kind} ${e.template} (${e.reason ?? 'no reason'})`, e.at);
    },
  };
}

/** One send through the customer workflow's delivery pipeline (workflows/delivery.ts) on the virtual clock:
 *  the policy decides; a deferral holds it until then (scripted events keep arriving; an exit ends the run
 *  with the message still held); a provider failure falls back to the next channel. Fills in `message`. */
async function throughPipeline(
  clock: VirtualClock,
  message: TestMessage,
  request: DeliveryRequest,
  policy: DeliveryPolicyConfig,
  provider: JourneyTestOptions<z.ZodType>['deliver'],
): Promise<SendResult> {
  const state = clock.customer;
  let attempt: Attempt = { request, skip: [] };
  for (;;) {
    const at = new Date(clock.now);
    message.decidedAt = at.toISOString();
    const decision = decide(state, attempt.request, at, policy, attempt.skip);
    if (decision.kind === 'defer') {
      appendLedger(state, hold(state, attempt, decision, at));
      message.held = [...(message.held ?? []), { reason: decision.reason, until: decision.until.toISOString() }];
      clock.note(`held ${message.template} (${decision.reason}) until ${decision.until.toISOString()}`);
      clock.advance(decision.until.getTime() - at.getTime());
      attempt = takeDue(state, clock.now)[0] ?? attempt;
      continue;
    }
    if (decision.kind === 'suppress') {
      appendLedger(state, suppressedEntry(attempt.request, decision, at));
      Object.assign(message, { status: 'suppressed', reason: decision.reason, detail: decision.detail });
      return { status: 'suppressed', reason: decision.reason };
    }
    const { channel, to } = decision;
    const { at: asked, channels, template, data, topic, urgent, offers } = message;
    const answer = provider?.({ at: asked, channels, template, data, topic, urgent, ...(offers ? { offers } : {}), channel, to }) ?? { status: 'sent' };
    const reason = answer.reason === undefined ? {} : { reason: answer.reason };
    appendLedger(state, { ...ledgerBase(attempt.request, at), channel, to, status: answer.status, ...reason });
    const next = answer.status === 'failed' ? fallbackAfter(attempt, channel) : undefined;
    if (!next) {
      Object.assign(message, { channel, to, status: answer.status, ...reason });
      return { status: answer.status, channel, ...reason };
    }
    clock.note(`failed ${template} on ${channel} (${answer.reason ?? 'no reason'}), trying ${next.request.channels.find((c) => !next.skip.includes(c))}`);
    attempt = next;
  }
}
