// The journey SDK: what an author writes in journeys/*.ts. Types only plus `defineJourney`;
// domain/journeyContext.ts implements the context, for the journey workflow and for testJourney.
import type { z } from 'zod';
import type { Duration, SignedDuration } from './duration';
import type { Channel, JourneyEvent, Properties, Topic } from './events';

export type ReentryPolicy =
  | 'never'
  | 'always'
  | 'one-at-a-time'
  | {
      cooldown: Duration;
      /** 'key' (default): the cool-down runs from the end of the previous run of the same key (cart, order…).
       *  'customer': from the end of any of the customer's runs of this journey, whatever its key, and no run
       *  starts while one of them is running. */
      per?: 'key' | 'customer';
    };

/** A property of the entry event, by name: an event matches when it has the same value (===) there. */
export type SameAs<P> = keyof P & string;

export interface EventMatcher<P> {
  event: string;
  /** Whether this event concerns this journey run: a function, or the name of an entry property that must
   *  hold the same value (`'cartId'`: the same cart). */
  match?: SameAs<P> | ((event: JourneyEvent, entry: JourneyEvent<P>) => boolean);
}

/** Sets the step (as `j.step(name)` would) just before the verb: `j.sleep('1 hour', { step: 'wait-1h' })`. */
export interface StepOption {
  step?: string;
}

export interface SendOptions extends StepOption {
  /** marketing (default) obeys opt-outs, caps and quiet hours; transactional bypasses marketing opt-outs and caps. */
  topic?: Topic;
  /** Transactional and urgent: also bypasses quiet hours. */
  urgent?: boolean;
  /** SKUs this message sells: a marketing send is suppressed (`already-owned`) when the customer owns one. */
  offers?: string | string[];
}

export type SendStatus = 'sent' | 'suppressed' | 'failed';

export interface SendResult {
  status: SendStatus;
  channel?: Channel;
  /** Why it was not sent: no-consent, frequency-cap, no-address, paused, provider-error … */
  reason?: string;
}

export interface SleepUntilOptions extends StepOption {
  /** Added to the date first: '7 days', or '-14 days' for before it. */
  offset?: SignedDuration;
  /** Wall-clock time "HH:MM" on that day. */
  localTime?: string;
  /** 'customer' (default) uses the customer's timezone; or an IANA name. */
  tz?: 'customer' | string;
}

/** What `j.waitFor` takes. `S` is the waited-for event's schema, `P` the entry event's properties. */
export interface WaitForOptions<S extends z.ZodType = z.ZodType<Properties>, P = Properties> extends StepOption {
  /** How long to wait, or until when: a Date that has passed returns null at once, without a timer. */
  within: Duration | Date;
  /** Parses the event's properties: the event comes back typed, and one that fails the schema is ignored
   *  (the wait goes on) and recorded on the timeline as `ignored`, with the field that failed. */
  schema?: S;
  /** Which events count: a function of the (parsed) event, or the name of an entry property that must hold
   *  the same value (`'cartId'`). */
  match?: SameAs<P> | ((event: JourneyEvent<z.infer<S>>) => boolean);
}

/** The event names `j.waitFor` accepts: those of the definition's `waits` when it declares them (inferred from
 *  the list: `waits: ['a', 'b']` gives `'a' | 'b'`, `waits: []` none), any name when it does not. */
export type WaitName<Waits> = Waits extends readonly (infer N extends string)[] ? N : string;

export interface JourneyContext<P = Properties, W extends string = string> {
  readonly journey: string;
  readonly version: number;
  readonly customerId: string;
  /** The entity key (pet, order, cart…), when the journey has one. */
  readonly key?: string;
  readonly entry: JourneyEvent<P>;
  /** The engine's clock (simulated time under `simulate`). Never use Date.now() in a journey. */
  now(): Date;
  /** The customer's IANA timezone (default UTC). */
  timezone(): string;
  sleep(duration: Duration, options?: StepOption): Promise<void>;
  /** Sleeps until a date (ISO date, YYYY-MM-DD, or Date), optionally offset and at a local time of day.
   *  Resolves true after waiting, false at once when that moment has already passed. */
  sleepUntil(date: Date | string, options?: SleepUntilOptions): Promise<boolean>;
  /** Waits for the next event of that name — or of any of the names — arriving after this call, or returns
   *  null when `within` elapses. Sends and trait updates are instant here: an event that arrives while the
   *  engine is still carrying out the sends just before this call counts as arriving after it. With a
   *  `schema`, the event's properties come back parsed and typed. */
  waitFor<S extends z.ZodType = z.ZodType<Properties>>(event: W | readonly W[], options: WaitForOptions<S, P>): Promise<JourneyEvent<z.infer<S>> | null>;
  /** Sends through the delivery pipeline; a list of channels is an ordered fallback. */
  send(channel: Channel | Channel[], template: string, data?: Properties, options?: SendOptions): Promise<SendResult>;
  /** Deterministic per customer and split name; recorded on the timeline. */
  split<K extends string>(name: string, weights: Record<K, number>): K;
  traits(): Properties;
  updateTraits(patch: Properties): Promise<void>;
  /** Marks where the customer is (search attribute JourneyStep, UI details, timeline). */
  step(name: string): void;
  /** Temporal patching for changing a live journey: new code runs only for runs that reach here after the change. */
  patched(changeId: string): boolean;
}

export interface JourneyDefinition<S extends z.ZodType = z.ZodType, Waits extends readonly string[] | undefined = readonly string[] | undefined> {
  name: string;
  version: number;
  description?: string;
  trigger: {
    event: string;
    schema: S;
    /** One journey run per key (a pet, an order…). */
    key?: (properties: z.infer<S>) => string;
    /** Extra entry condition on the customer's traits. */
    when?: (properties: z.infer<S>, traits: Properties) => boolean;
  };
  exitOn?: Array<string | EventMatcher<z.infer<S>>>;
  goal?: EventMatcher<z.infer<S>> & {
    /** Stop the journey on conversion (default true). */
    exit?: boolean;
    /** Attribution window: the goal event up to this long after the run's last message (after its end, when it
     *  sent none, as a holdout's control arm does) still counts as the run's conversion, and its split arm's, once
     *  the run has ended. The entry event is not kept after a run, so `match` does not apply to these. */
    within?: Duration;
  };
  reentry?: ReentryPolicy;
  /** The events this journey's `j.waitFor` calls name (`[]` when it has none). The customer workflow then
   *  forwards a run only these, its `exitOn` and `goal` events and `identify`, not every event of the customer
   *  (each forward is a signal: a billable action and history in both workflows), and `j.waitFor` takes only
   *  these names: another fails the run, naming it. Without `waits`, every event is forwarded. */
  waits?: Waits;
  run(j: JourneyContext<z.infer<S>, WaitName<Waits>>): Promise<void>;
}

export type AnyJourney = JourneyDefinition<z.ZodType>;

export function defineJourney<S extends z.ZodType, const Waits extends readonly string[] | undefined = undefined>(
  definition: JourneyDefinition<S, Waits>,
): JourneyDefinition<S, Waits> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(definition.name)) {
    throw new Error(`journey name "${definition.name}" must be lower-case letters, digits and dashes`);
  }
  if (!Number.isInteger(definition.version) || definition.version < 1) {
    throw new Error(`journey "${definition.name}": version must be a positive integer`);
  }
  return definition;
}

export function matcherOf<P>(m: string | EventMatcher<P>): EventMatcher<P> {
  return typeof m === 'string' ? { event: m } : m;
}

/** Whether `event` has the entry's value of `property`: both defined and ===. */
export function sameAsEntry(property: string, event: JourneyEvent, entry: JourneyEvent<unknown>): boolean {
  const value = (entry.properties as Properties | undefined)?.[property];
  return value !== undefined && event.properties[property] === value;
}

/** Whether an exitOn or goal matcher's `match` accepts the event (no `match`: every event of its name). */
export function matchesEntry<P>(match: EventMatcher<P>['match'], event: JourneyEvent, entry: JourneyEvent<P>): boolean {
  if (match === undefined) return true;
  return typeof match === 'string' ? sameAsEntry(match, event, entry) : match(event, entry);
}
