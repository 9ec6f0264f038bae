// The journey verbs, implemented once: the `j` a definition's run(j) gets, its event handling (identify,
// goal, exitOn, the buffer waitFor reads), its timeline and how the run ends. It runs over a small runtime:
// workflows/journey.ts gives it Temporal's timers, conditions and signals; testkit/testJourney.ts a virtual
// clock and scripted events. No Temporal import here, so a journey's unit test runs this very code.
//
// Replay: the journey workflow's commands (timers, conditions, signals, upserts, patch markers) come from the
// runtime calls below, in this order. Reordering them, or calling one more or one less, breaks the replay of
// every live run (test/integration/replay.test.ts): change them only behind a patch.
import type { z } from 'zod';
import { toMs } from '../sdk/duration';
import { EMAIL_ADDRESS_EXPECTED, emailAddressProblem } from '../sdk/emailAddress';
import type { Channel, JourneyEvent, Properties } from '../sdk/events';
import { matcherOf, matchesEntry, sameAsEntry, type AnyJourney, type JourneyContext, type SendResult, type WaitForOptions } from '../sdk/journey';
import { resolveWakeTime } from '../sdk/schedule';
import { pickVariant } from '../sdk/split';
import type { DeliveryRequest } from './customerState';
import { FailureTypes } from './delivery';
import type { JourneyStatus, TimelineEntry } from './messages';
import { formatZodError } from './zodMessage';

/** The journey workflow's input, from the customer workflow that starts the run. */
export interface JourneyInput {
  journey: string;
  customerId: string;
  key?: string;
  entryNo: number;
  entry: JourneyEvent;
  traits: Properties;
  timezone: string;
  clockOffsetMs: number;
  /** Set by the customer workflow that starts the run: it learns the run's end from the child's completion, so
   *  the run signals `journeyEnded` only once handed over (`journeyHandOver`, before that customer workflow
   *  continues as new). Runs started without it always signal their end. */
  endSeenByParent?: boolean;
}

export const MAX_TIMELINE = 300;
export const MAX_BUFFERED_EVENTS = 200;

/** Why a run stops before its end: an exitOn event or an operator (exited), or a goal event (converted). */
export interface Ending {
  kind: 'exited' | 'converted';
  reason: string;
}

/** The patches of the verbs' own code (not an author's j.patched): every run that starts now takes them. */
export const VERB_PATCHES = {
  waitForCountsEventsDuringSends: 'waitfor-counts-events-during-sends',
  updateTraitsEmailIsOneAddress: 'updatetraits-email-is-one-address',
  stepUpsertOnlyOnChange: 'step-upsert-only-on-change',
  waitForNamesDeclared: 'waitfor-names-declared',
} as const;
export const isVerbPatch = (changeId: string): boolean => (Object.values(VERB_PATCHES) as string[]).includes(changeId);

/** What the verbs need of the world they run in. */
export interface JourneyRuntime {
  /** Engine time (simulated time under `simulate`, the virtual clock in testJourney). */
  now(): Date;
  /** A durable timer. */
  sleep(ms: number): Promise<void>;
  /** Resolves true as soon as fn() holds (checked again after each event), false after timeoutMs. */
  condition(fn: () => boolean, timeoutMs: number): Promise<boolean>;
  /** Hands one send to the customer's delivery pipeline and resolves with its outcome. */
  deliver(request: DeliveryRequest): Promise<SendResult>;
  /** Sets traits on the customer's profile. */
  updateTraits(patch: Properties): Promise<void>;
  /** Publishes the step (the JourneyStep search attribute). */
  upsertStep(step: string): void;
  /** Temporal patching, for j.patched and VERB_PATCHES. */
  patched(changeId: string): boolean;
  /** What the UI shows as the run's current details (markdown). */
  describe(details: string): void;
  /** Runs the journey's body so that end() can stop it wherever it waits (the engine: a CancellationScope). */
  scope(body: () => Promise<void>): Promise<void>;
  /** Stops the body now (`ending` is already set): the engine cancels the scope, testJourney throws. */
  end(ending: Ending): void;
  /** Whether an error out of the body is the unwinding end() caused (the engine: a cancellation). */
  isEnding(err: unknown): boolean;
  /** The error that fails the run for good (the engine: a non-retryable ApplicationFailure of that type). */
  failure(message: string, type: string): Error;
  /** Called with each timeline entry as it is recorded (testJourney's steps, splits and log). */
  recorded?(entry: TimelineEntry): void;
}

export interface JourneyRun {
  /** What the `status` query answers; run() resolves with it. */
  readonly status: JourneyStatus;
  readonly ctx: JourneyContext;
  /** A `journeyEvent` signal: an event of the customer's, forwarded while the run lives. */
  onEvent(event: JourneyEvent): void;
  /** An operator's `exit` signal. */
  onExit(reason?: string): void;
  ending(): Ending | null;
  traits(): Properties;
  /** Runs def.run(j) to its end: completed, exited or converted; any other error is rethrown. */
  run(): Promise<JourneyStatus>;
}

/** Builds a run of `def` for `input`: its context, its signal handlers and its status. `workflowId` is the run's
 *  own ID (send requests are `<workflowId>/<entryNo>.<n>`). */
export function createJourneyRun(def: AnyJourney, input: JourneyInput, workflowId: string, rt: JourneyRuntime): JourneyRun {
  const now = (): Date => rt.now();
  const traits: Properties = { ...input.traits };
  const status: JourneyStatus = { journey: def.name, version: def.version, customerId: input.customerId, key: input.key, status: 'running', timeline: [] };
  const record = (e: Omit<TimelineEntry, 'at'>): void => {
    const entry = { at: now().toISOString(), ...e };
    status.timeline.push(entry);
    if (status.timeline.length > MAX_TIMELINE) status.timeline.splice(0, status.timeline.length - MAX_TIMELINE);
    rt.recorded?.(entry);
  };
  const describe = (text: string): void => {
    status.waitingFor = text;
    rt.describe(
      `**${def.name}** v${def.version} · customer \`${input.customerId}\`${input.key ? ` · key \`${input.key}\`` : ''}\n\nstep: ${status.step ?? '—'}\n\n${text}`,
    );
  };
  const untilMs = (date: Date): number => {
    const ms = date.getTime() - now().getTime();
    if (Number.isNaN(ms)) throw new Error(`j.waitFor in journey "${def.name}": within is an invalid Date`);
    return ms;
  };
  async function waitUntil<T>(wake: Date, wait: () => Promise<T>, event?: string): Promise<T> {
    status.wakeAt = wake.toISOString();
    describe(event ? `waiting for ${event} until ${status.wakeAt}` : `sleeping until ${status.wakeAt}`);
    try {
      return await wait();
    } finally {
      status.wakeAt = undefined;
    }
  }

  const events: Array<JourneyEvent & { seq: number }> = [];
  let seq = 0;
  // `waitFor` sees events that arrive after the call. A send or updateTraits is instant for the author (and in
  // testJourney), but in the engine it is a round trip to the customer workflow, and an event can arrive meanwhile
  // (a project created while the welcome mail's result is on its way back): events since the first of the
  // sends and trait updates before a waitFor count as after it. Reset by every sleep and wait.
  let busySince: number | undefined;
  let ending = null as Ending | null;
  const end = (e: Ending): void => {
    ending = e;
    rt.end(e);
  };

  const exitMatchers = (def.exitOn ?? []).map(matcherOf);
  function onEvent(event: JourneyEvent): void {
    if (ending) return;
    if (event.name === 'identify') Object.assign(traits, event.properties);
    if (def.goal && event.name === def.goal.event && matchesEntry(def.goal.match, event, input.entry)) {
      record({ kind: 'converted', detail: event.name });
      if (def.goal.exit !== false) return end({ kind: 'converted', reason: event.name });
    }
    const exit = exitMatchers.find((m) => m.event === event.name && matchesEntry(m.match, event, input.entry));
    if (exit) return end({ kind: 'exited', reason: event.name });
    events.push({ ...event, seq: ++seq });
    if (events.length > MAX_BUFFERED_EVENTS) events.shift();
  }
  function onExit(reason?: string): void {
    if (ending) return;
    end({ kind: 'exited', reason: reason ?? 'operator' });
  }

  function step(name: string): void {
    // Marking the step the customer is already at changes nothing the UI can show: no upsert (a history
    // event and a billable action each; pet-lifecycle re-marks its stage on every loop). Behind a patch so
    // runs that started before this change replay their upserts.
    const unchanged = status.step === name && rt.patched(VERB_PATCHES.stepUpsertOnlyOnChange);
    status.step = name;
    if (!unchanged) rt.upsertStep(name);
    record({ kind: 'step', step: name });
    describe('');
  }
  // A verb's `{ step }` is exactly `j.step(name)` on the line before it: the same commands, in the same order.
  const stepFirst = (options: { step?: string } | undefined): void => {
    if (options?.step !== undefined) step(options.step);
  };

  let sendSeq = 0;
  const ctx: JourneyContext = {
    journey: def.name,
    version: def.version,
    customerId: input.customerId,
    key: input.key,
    entry: input.entry,
    now,
    timezone: () => input.timezone,
    async sleep(duration, options) {
      stepFirst(options);
      busySince = undefined;
      const ms = toMs(duration);
      await waitUntil(new Date(now().getTime() + ms), () => rt.sleep(ms));
    },
    async sleepUntil(date, options = {}) {
      stepFirst(options);
      busySince = undefined;
      const wake = resolveWakeTime(date, options, input.timezone);
      const ms = wake.getTime() - now().getTime();
      if (ms <= 0) return false;
      await waitUntil(wake, () => rt.sleep(ms));
      return true;
    },
    async waitFor<S extends z.ZodType>(name: string | readonly string[], options: WaitForOptions<S>): Promise<JourneyEvent<z.infer<S>> | null> {
      const { within, match, schema } = options;
      const names: string[] = typeof name === 'string' ? [name] : [...name];
      // A journey that declares `waits` is forwarded only those events (domain/routing.ts forwardTargets): a wait
      // for another could never end early, so it fails the run, naming the fix. Behind a patch, asked only then,
      // so a run that waited for a name later dropped from `waits` replays as it ran.
      const undeclared = def.waits ? names.filter((n) => !def.waits?.includes(n)) : [];
      if (undeclared.length > 0 && rt.patched(VERB_PATCHES.waitForNamesDeclared))
        throw rt.failure(undeclaredWaitMessage(def, undeclared), FailureTypes.UndeclaredWait);
      stepFirst(options);
      const ms = within instanceof Date ? untilMs(within) : toMs(within);
      // A deadline that has passed: nothing to wait for, and nothing done (no patch asked, no timer, the sends
      // before still count for the next wait), exactly as when the journey skipped the call itself.
      if (within instanceof Date && ms <= 0) return null;
      // Behind a patch: runs recorded before it replay with the events they saw.
      const from = busySince !== undefined && rt.patched(VERB_PATCHES.waitForCountsEventsDuringSends) ? busySince : seq;
      busySince = undefined;
      const parsedEvents = new Map<number, JourneyEvent | null>();
      // The event as the author gets it: its properties parsed by the schema, or null (recorded once) when
      // they fail it. The condition asks again after each event, so each result is kept for this wait.
      const parse = (e: JourneyEvent & { seq: number }): JourneyEvent | null => {
        const { seq: eventSeq, ...event } = e;
        if (!schema) return event;
        if (!parsedEvents.has(eventSeq)) {
          const parsed = schema.safeParse(event.properties);
          if (!parsed.success) record({ kind: 'ignored', step: status.step, detail: event.name, reason: formatZodError(parsed.error) });
          parsedEvents.set(eventSeq, parsed.success ? { ...event, properties: parsed.data as Properties } : null);
        }
        return parsedEvents.get(eventSeq) ?? null;
      };
      const matches = (e: JourneyEvent): boolean =>
        match === undefined || (typeof match === 'string' ? sameAsEntry(match, e, input.entry) : match(e as Parameters<typeof match>[0]));
      const find = (): JourneyEvent | undefined => {
        for (const e of events) {
          if (e.seq <= from || !names.includes(e.name)) continue;
          const event = parse(e);
          if (event && matches(event)) return event;
        }
        return undefined;
      };
      const arrived = await waitUntil(
        new Date(now().getTime() + ms),
        () => rt.condition(() => find() !== undefined, ms),
        names.map((n) => `\`${n}\``).join(' or '),
      );
      return ((arrived ? find() : undefined) ?? null) as JourneyEvent<z.infer<S>> | null;
    },
    async send(channel, template, data = {}, options = {}) {
      stepFirst(options);
      const channels: Channel[] = Array.isArray(channel) ? channel : [channel];
      const id = `${workflowId}/${input.entryNo}.${++sendSeq}`;
      const topic = options.topic ?? 'marketing';
      describe(`sending \`${template}\` (${channels.join(' → ')})`);
      status.sending = id;
      busySince ??= seq;
      const result = await rt.deliver({
        id,
        journeyWorkflowId: workflowId,
        journey: def.name,
        key: input.key,
        channels,
        template,
        data,
        topic,
        urgent: options.urgent ?? false,
        requestedAt: now().toISOString(),
        ...(options.offers ? { offers: Array.isArray(options.offers) ? options.offers : [options.offers] } : {}),
      });
      status.sending = undefined;
      if (result.status === 'sent') record({ kind: 'message', template, channel: result.channel });
      else record({ kind: result.status === 'failed' ? 'failed' : 'suppressed', template, channel: result.channel, reason: result.reason });
      return result;
    },
    split(name, weights) {
      const variant = pickVariant(`${input.customerId}:${def.name}:${name}`, weights);
      record({ kind: 'split', step: name, detail: variant });
      return variant;
    },
    traits: () => ({ ...traits }),
    async updateTraits(patch) {
      // The email trait is exactly one address, from journeys too (sdk/emailAddress.ts): a journey that copies
      // an event's field into it fails here, naming it, instead of storing a list. The check only runs on a bad
      // value, and behind a patch, so runs that stored one before it replay as they ran.
      const problem = patch.email === undefined || patch.email === null ? undefined : emailAddressProblem(patch.email);
      if (problem !== undefined && rt.patched(VERB_PATCHES.updateTraitsEmailIsOneAddress)) {
        throw rt.failure(
          `j.updateTraits in journey "${def.name}": traits.email: ${EMAIL_ADDRESS_EXPECTED}: ${problem}. Check the address first (EmailTrait from sdk/events in the trigger schema) or leave the trait out.`,
          FailureTypes.InvalidAddress,
        );
      }
      Object.assign(traits, patch);
      busySince ??= seq;
      await rt.updateTraits(patch);
    },
    step,
    patched: (changeId) => rt.patched(changeId),
  };

  async function run(): Promise<JourneyStatus> {
    record({ kind: 'entered', detail: input.entry.name });
    try {
      await rt.scope(() => def.run(ctx));
      status.status = 'completed';
      record({ kind: 'completed' });
    } catch (err) {
      const ended = ending as Ending | null;
      if (!(ended && rt.isEnding(err))) throw err;
      status.status = ended.kind;
      if (ended.kind === 'exited') record({ kind: 'exited', reason: ended.reason });
    }
    status.waitingFor = undefined;
    const why = (ending as Ending | null)?.reason;
    rt.describe(`**${def.name}** ended: ${status.status}${why ? ` (${why})` : ''}`);
    return status;
  }

  return { status, ctx, onEvent, onExit, ending: () => ending, traits: () => ({ ...traits }), run };
}

/** Why a `j.waitFor` of names the journey's `waits` leaves out fails, and how to fix it. */
export function undeclaredWaitMessage(def: Pick<AnyJourney, 'name' | 'waits'>, undeclared: readonly string[]): string {
  const list = (def.waits ?? []).map((n) => `"${n}"`).join(', ');
  const names = undeclared.map((n) => `"${n}"`).join(', ');
  return (
    `j.waitFor in journey "${def.name}": ${names} ${undeclared.length === 1 ? 'is' : 'are'} not in its waits [${list}], so the engine never forwards ${undeclared.length === 1 ? 'it' : 'them'} to this journey. ` +
    `Add ${names} to waits in its defineJourney.`
  );
}
