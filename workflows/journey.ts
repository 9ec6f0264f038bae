// The journey workflow (`journey:<name>:<customerId>[:<key>]`): runs one definition from journeys/
// for one customer (and entity), with the SDK verbs implemented on Temporal primitives.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureTypes } from '../domain/delivery';
import { toMs } from '../sdk/duration';
import type { Channel, JourneyEvent, Properties } from '../sdk/events';
import { matcherOf, type AnyJourney, type JourneyContext, type SendResult } from '../sdk/journey';
import { EMAIL_ADDRESS_EXPECTED, emailAddressProblem } from '../sdk/emailAddress';
import { resolveWakeTime } from '../sdk/schedule';
import { pickVariant } from '../sdk/split';
import { getJourney } from '../journeys';
import {
  customerWorkflowId,
  deliveryRequestSignal,
  deliveryResultSignal,
  exitSignal,
  journeyEndedSignal,
  journeyEventSignal,
  journeyStatusQuery,
  updateTraitsSignal,
  type JourneyStatus,
  type TimelineEntry,
} from '../domain/messages';
import { JOURNEY_STEP } from '../domain/searchAttributes';

export interface JourneyInput {
  journey: string;
  customerId: string;
  key?: string;
  entryNo: number;
  entry: JourneyEvent;
  traits: Properties;
  timezone: string;
  clockOffsetMs: number;
}

const MAX_TIMELINE = 300;
const MAX_BUFFERED_EVENTS = 200;

export async function journeyWorkflow(input: JourneyInput): Promise<JourneyStatus> {
  const def: AnyJourney | undefined = getJourney(input.journey);
  if (!def) {
    throw ApplicationFailure.nonRetryable(
      `journey "${input.journey}" is not registered in journeys/index.ts on this worker; deploy a worker that has it, then reset this workflow`,
      FailureTypes.UnknownJourney,
    );
  }
  const now = (): Date => new Date(Date.now() - input.clockOffsetMs);
  const info = workflowInfo();
  const customer = getExternalWorkflowHandle(customerWorkflowId(input.customerId));
  const traits: Properties = { ...input.traits };
  const status: JourneyStatus = {
    journey: def.name,
    version: def.version,
    customerId: input.customerId,
    key: input.key,
    status: 'running',
    timeline: [],
  };
  const record = (e: Omit<TimelineEntry, 'at'>): void => {
    status.timeline.push({ at: now().toISOString(), ...e });
    if (status.timeline.length > MAX_TIMELINE) status.timeline.splice(0, status.timeline.length - MAX_TIMELINE);
  };
  const describe = (text: string): void => {
    status.waitingFor = text;
    setCurrentDetails(`**${def.name}** v${def.version} · customer \`${input.customerId}\`${input.key ? ` · key \`${input.key}\`` : ''}\n\nstep: ${status.step ?? '—'}\n\n${text}`);
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
  // testJourney), but here it is a round trip to the customer workflow, and an event can arrive meanwhile
  // (a project created while the welcome mail's result is on its way back): events since the first of the
  // sends and trait updates before a waitFor count as after it. Reset by every sleep and wait.
  let busySince: number | undefined;
  const results = new Map<string, SendResult>();
  type Ending = { kind: 'exited' | 'converted'; reason: string };
  let ending = null as Ending | null;
  const scope = new CancellationScope();

  const exitMatchers = (def.exitOn ?? []).map(matcherOf);
  setHandler(journeyEventSignal, (event) => {
    if (ending) return;
    if (event.name === 'identify') Object.assign(traits, event.properties);
    if (def.goal && event.name === def.goal.event && (!def.goal.match || def.goal.match(event, input.entry))) {
      record({ kind: 'converted', detail: event.name });
      if (def.goal.exit !== false) {
        ending = { kind: 'converted', reason: event.name };
        scope.cancel();
        return;
      }
    }
    const exit = exitMatchers.find((m) => m.event === event.name && (!m.match || m.match(event, input.entry)));
    if (exit) {
      ending = { kind: 'exited', reason: event.name };
      scope.cancel();
      return;
    }
    events.push({ ...event, seq: ++seq });
    if (events.length > MAX_BUFFERED_EVENTS) events.shift();
  });
  setHandler(deliveryResultSignal, (r) => void results.set(r.id, r));
  setHandler(exitSignal, ({ reason }) => {
    if (ending) return;
    ending = { kind: 'exited', reason: reason ?? 'operator' };
    scope.cancel();
  });
  setHandler(journeyStatusQuery, () => status);

  let sendSeq = 0;
  const ctx: JourneyContext = {
    journey: def.name,
    version: def.version,
    customerId: input.customerId,
    key: input.key,
    entry: input.entry,
    now,
    timezone: () => input.timezone,
    async sleep(duration) {
      busySince = undefined;
      const ms = toMs(duration);
      await waitUntil(new Date(now().getTime() + ms), () => sleep(ms));
    },
    async sleepUntil(date, options = {}) {
      busySince = undefined;
      const wake = resolveWakeTime(date, options, input.timezone);
      const ms = wake.getTime() - now().getTime();
      if (ms <= 0) return false;
      await waitUntil(wake, () => sleep(ms));
      return true;
    },
    async waitFor(name, { within, match }) {
      // Behind a patch: runs recorded before it replay with the events they saw.
      const from = busySince !== undefined && patched('waitfor-counts-events-during-sends') ? busySince : seq;
      busySince = undefined;
      const ms = toMs(within);
      const names = Array.isArray(name) ? name : [name];
      const find = () => events.find((e) => e.seq > from && names.includes(e.name) && (!match || match(e)));
      const arrived = await waitUntil(new Date(now().getTime() + ms), () => condition(() => find() !== undefined, ms), names.map((n) => `\`${n}\``).join(' or '));
      const event = arrived ? find() : undefined;
      if (!event) return null;
      const { seq: _seq, ...rest } = event;
      return rest;
    },
    async send(channel, template, data = {}, options = {}) {
      const channels: Channel[] = Array.isArray(channel) ? channel : [channel];
      const id = `${info.workflowId}/${input.entryNo}.${++sendSeq}`;
      const topic = options.topic ?? 'marketing';
      describe(`sending \`${template}\` (${channels.join(' → ')})`);
      status.sending = id;
      busySince ??= seq;
      await customer.signal(deliveryRequestSignal, {
        id,
        journeyWorkflowId: info.workflowId,
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
      await condition(() => results.has(id));
      status.sending = undefined;
      const result = results.get(id) as SendResult;
      results.delete(id);
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
      if (problem !== undefined && patched('updatetraits-email-is-one-address')) {
        throw ApplicationFailure.nonRetryable(
          `j.updateTraits in journey "${def.name}": traits.email: ${EMAIL_ADDRESS_EXPECTED}: ${problem}. Check the address first (EmailTrait from sdk/events in the trigger schema) or leave the trait out.`,
          FailureTypes.InvalidAddress,
        );
      }
      Object.assign(traits, patch);
      busySince ??= seq;
      await customer.signal(updateTraitsSignal, patch);
    },
    step(name) {
      // Marking the step the customer is already at changes nothing the UI can show: no upsert (a history
      // event and a billable action each; pet-lifecycle re-marks its stage on every loop). Behind a patch so
      // runs that started before this change replay their upserts.
      const unchanged = status.step === name && patched('step-upsert-only-on-change');
      status.step = name;
      if (!unchanged) upsertSearchAttributes([{ key: JOURNEY_STEP, value: name }]);
      record({ kind: 'step', step: name });
      describe('');
    },
    patched: (changeId) => patched(changeId),
  };

  record({ kind: 'entered', detail: input.entry.name });
  try {
    await scope.run(() => def.run(ctx));
    status.status = 'completed';
    record({ kind: 'completed' });
  } catch (err) {
    const ended = ending as Ending | null;
    if (!(ended && isCancellation(err))) {
      if (err instanceof ApplicationFailure) {
        // The run fails for good: tell the customer so it stops routing events here.
        await customer.signal(journeyEndedSignal, { workflowId: info.workflowId, status: 'failed', at: now().toISOString() });
      }
      throw err;
    }
    status.status = ended.kind;
    if (ended.kind === 'exited') record({ kind: 'exited', reason: ended.reason });
  }
  status.waitingFor = undefined;
  const why = (ending as Ending | null)?.reason;
  setCurrentDetails(`**${def.name}** ended: ${status.status}${why ? ` (${why})` : ''}`);
  await customer.signal(journeyEndedSignal, { workflowId: info.workflowId, status: status.status, at: now().toISOString() });
  return status;
}
