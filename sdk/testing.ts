// Unit-testing a journey's decisions without a server: runs `run(j)` against an in-memory context on a
// virtual clock, with the events you script, and returns what the customer would have received.
//
// It follows the engine's rules (schema, entry condition, exit events, goal, waitFor only sees events
// that arrive after the call, splits hash the same way, sleepUntil in the customer's timezone) but not
// the delivery policy: every send is "sent" on its first channel unless `deliver` says otherwise.
// `simulate` (and the integration tests) run the real engine; this is for fast tests of journey logic.
import type { Duration } from './duration';
import { toMs } from './duration';
import { EMAIL_ADDRESS_EXPECTED, emailAddressProblem } from './emailAddress';
import type { Channel, JourneyEvent, Properties, Topic } from './events';
import { matcherOf, type JourneyContext, type JourneyDefinition, type SendResult } from './journey';
import { resolveWakeTime } from './schedule';
import { pickVariant } from './split';
import type { z } from 'zod';

export interface ScriptedEvent {
  /** An offset from the start ("2h", "3 days") or an ISO instant. */
  at: Duration | string;
  name: string;
  properties?: Properties;
}

export interface TestMessage {
  at: string;
  channels: Channel[];
  template: string;
  data: Properties;
  topic: Topic;
  offers?: string[];
  status: SendResult['status'];
  channel?: Channel;
  reason?: string;
}

export interface JourneyTestOptions<S extends z.ZodType> {
  /** The trigger event's properties (validated by the journey's schema, as the engine does). */
  entry: z.input<S>;
  start?: string;
  customerId?: string;
  traits?: Properties;
  timezone?: string;
  events?: ScriptedEvent[];
  /** Decide a send's outcome (e.g. a suppression); default: sent on the first channel. */
  deliver?: (message: Omit<TestMessage, 'status' | 'channel' | 'reason'>) => SendResult | undefined;
  /** SKUs the customer owns at the start; scripted product.purchased / product.sold / product.returned
   *  events change it, and a marketing send offering an owned SKU is suppressed (`already-owned`). */
  owned?: string[];
  /** What `j.patched(id)` returns (default true: the new code path). */
  patched?: (changeId: string) => boolean;
  /** Stop with an error when the journey runs longer than this (default 10 years). */
  maxDuration?: Duration;
}

export type JourneyTestOutcome = 'completed' | 'exited' | 'converted' | 'rejected' | 'not-entered';

export interface JourneyTestResult {
  outcome: JourneyTestOutcome;
  /** The entity key the engine would run this journey under (one run per key). */
  key?: string;
  /** Exit event, goal event, or the schema error. */
  reason?: string;
  endedAt: string;
  messages: TestMessage[];
  /** Templates of the messages that went out, in order. */
  sent: string[];
  steps: Array<{ at: string; step: string }>;
  splits: Record<string, string>;
  traits: Properties;
  /** One readable line per thing that happened, for failure messages and snapshots. */
  log: string[];
}

class Ended extends Error {
  constructor(readonly outcome: 'exited' | 'converted', readonly reason: string) {
    super(`journey ${outcome}: ${reason}`);
  }
}

const ISO = /^\d{4}-\d{2}-\d{2}T/;

export async function testJourney<S extends z.ZodType>(def: JourneyDefinition<S>, options: JourneyTestOptions<S>): Promise<JourneyTestResult> {
  const start = Date.parse(options.start ?? '2026-01-05T09:00:00Z');
  if (Number.isNaN(start)) throw new Error(`testJourney: invalid start "${options.start}"`);
  const customerId = options.customerId ?? 'test-customer';
  const timezone = options.timezone ?? (typeof options.traits?.timezone === 'string' ? options.traits.timezone : 'UTC');
  const traits: Properties = { ...options.traits };
  const limit = start + toMs(options.maxDuration ?? '3650 days');
  let now = start;
  const iso = (t: number) => new Date(t).toISOString();
  const result: JourneyTestResult = { outcome: 'completed', endedAt: iso(start), messages: [], sent: [], steps: [], splits: {}, traits, log: [] };
  const note = (text: string) => result.log.push(`${iso(now)}  ${text}`);

  const parsed = def.trigger.schema.safeParse(options.entry);
  if (!parsed.success) {
    return { ...result, outcome: 'rejected', reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  }
  const props = parsed.data as z.infer<S>;
  if (def.trigger.when && !def.trigger.when(props, traits)) return { ...result, outcome: 'not-entered', reason: 'the entry condition (trigger.when) is false' };
  result.key = def.trigger.key ? String(def.trigger.key(props)) : undefined;
  const entry: JourneyEvent<z.infer<S>> = { name: def.trigger.event, messageId: 'test-entry', properties: props, receivedAt: iso(start) };

  const script = (options.events ?? [])
    .map((e, i) => ({ at: typeof e.at === 'string' && ISO.test(e.at) ? Date.parse(e.at) : start + toMs(e.at), event: { name: e.name, messageId: `test-${i + 1}`, properties: e.properties ?? {}, receivedAt: '' } }))
    .sort((a, b) => a.at - b.at);
  let cursor = 0;
  const owned = new Set(options.owned ?? []);
  const exits = (def.exitOn ?? []).map(matcherOf);

  /** Moves the clock to `to`, handling scripted events on the way; returns the awaited event if one came. */
  function advance(to: number, wanted?: { names: string[]; match?: (e: JourneyEvent) => boolean }): JourneyEvent | null {
    if (to > limit) throw new Error(`testJourney: ${def.name} still running at ${iso(to)}; raise maxDuration or check for an endless loop`);
    while (cursor < script.length && script[cursor].at <= to) {
      const { at, event } = script[cursor++];
      now = Math.max(now, at);
      const e = { ...event, receivedAt: iso(now) };
      note(`event ${e.name}`);
      if (e.name === 'identify') Object.assign(traits, e.properties);
      const sku = typeof e.properties.sku === 'string' ? e.properties.sku : undefined;
      if (sku && e.name === 'product.purchased') owned.add(sku);
      if (sku && (e.name === 'product.sold' || e.name === 'product.returned')) owned.delete(sku);
      if (def.goal && e.name === def.goal.event && (!def.goal.match || def.goal.match(e, entry))) {
        note(`converted (${e.name})`);
        if (def.goal.exit !== false) throw new Ended('converted', e.name);
      }
      const exit = exits.find((m) => m.event === e.name && (!m.match || m.match(e, entry)));
      if (exit) throw new Ended('exited', e.name);
      if (wanted && wanted.names.includes(e.name) && (!wanted.match || wanted.match(e))) return e;
    }
    now = Math.max(now, to);
    return null;
  }

  const ctx: JourneyContext<z.infer<S>> = {
    journey: def.name,
    version: def.version,
    customerId,
    key: result.key,
    entry,
    now: () => new Date(now),
    timezone: () => timezone,
    async sleep(duration) {
      advance(now + toMs(duration));
    },
    async sleepUntil(date, opts = {}) {
      const wake = resolveWakeTime(date, opts, timezone).getTime();
      if (wake <= now) return false;
      advance(wake);
      return true;
    },
    async waitFor(name, { within, match }) {
      return advance(now + toMs(within), { names: Array.isArray(name) ? name : [name], match });
    },
    async send(channel, template, data = {}, opts = {}) {
      const channels = Array.isArray(channel) ? channel : [channel];
      const offers = opts.offers === undefined ? undefined : Array.isArray(opts.offers) ? opts.offers : [opts.offers];
      const base = { at: iso(now), channels, template, data, topic: opts.topic ?? 'marketing', ...(offers ? { offers } : {}) };
      const alreadyOwned = base.topic === 'marketing' && (offers ?? []).some((s) => owned.has(s));
      const outcome: SendResult =
        options.deliver?.(base) ?? (alreadyOwned ? { status: 'suppressed', reason: 'already-owned' } : { status: 'sent', channel: channels[0] });
      result.messages.push({ ...base, ...outcome });
      if (outcome.status === 'sent') result.sent.push(template);
      note(outcome.status === 'sent' ? `sent ${template} (${outcome.channel})` : `${outcome.status} ${template} (${outcome.reason ?? 'no reason'})`);
      return outcome;
    },
    split(name, weights) {
      const variant = pickVariant(`${customerId}:${def.name}:${name}`, weights);
      result.splits[name] = variant;
      note(`split ${name} → ${variant}`);
      return variant;
    },
    traits: () => ({ ...traits }),
    async updateTraits(patch) {
      // As the engine does (workflows/journey.ts): the email trait is exactly one address.
      const problem = patch.email === undefined || patch.email === null ? undefined : emailAddressProblem(patch.email);
      if (problem !== undefined) throw new Error(`j.updateTraits in journey "${def.name}": traits.email: ${EMAIL_ADDRESS_EXPECTED}: ${problem}`);
      Object.assign(traits, patch);
      note(`traits ${JSON.stringify(patch)}`);
    },
    step(name) {
      result.steps.push({ at: iso(now), step: name });
      note(`step ${name}`);
    },
    patched: (id) => options.patched?.(id) ?? true,
  };

  try {
    await def.run(ctx);
  } catch (err) {
    if (!(err instanceof Ended)) throw err;
    result.outcome = err.outcome;
    result.reason = err.reason;
  }
  result.endedAt = iso(now);
  return result;
}
