// Step labels on the verbs (issue 16, point 7): `{ step }` on send, sleep, sleepUntil and waitFor is the
// `j.step(name)` line before the verb, nothing more. The journey workflow's commands come from the runtime
// calls, so the two forms must make the same calls in the same order, with the same timeline and details.
import { z } from 'zod';
import { createJourneyRun, type JourneyInput, type JourneyRuntime } from '../../domain/journeyContext';
import type { JourneyStatus } from '../../domain/messages';
import { defineJourney, type AnyJourney, type JourneyContext } from '../../sdk/journey';
import { testJourney } from '../../testkit/testJourney';

const START = Date.parse('2026-01-05T09:00:00Z');

/** Every runtime call, the UI details included; an event arrives during the first wait, none later. */
function recordingRuntime(calls: string[]): JourneyRuntime {
  let now = START;
  let waits = 0;
  return {
    now: () => new Date(now),
    sleep: async (ms) => void calls.push(`sleep ${ms}`, `(now ${new Date((now += ms)).toISOString()})`),
    condition: async (fn, ms) => {
      calls.push(`condition ${ms}`);
      if (++waits === 1) return ((now += 60_000), true);
      return ((now += ms), fn());
    },
    deliver: async (r) => (calls.push(`deliver ${r.id} ${r.template} ${r.topic}`), { status: 'sent', channel: r.channels[0] }),
    updateTraits: async (patch) => void calls.push(`updateTraits ${JSON.stringify(patch)}`),
    upsertStep: (step) => void calls.push(`upsertStep ${step}`),
    patched: (id) => (calls.push(`patched ${id}`), true),
    describe: (details) => void calls.push(`describe ${details}`),
    scope: (body) => body(),
    end: () => undefined,
    isEnding: () => false,
    failure: (message) => new Error(message),
  };
}

type Body = (j: JourneyContext<{ day: string }>) => Promise<void>;

const journey = (body: Body) =>
  defineJourney({ name: 'steps', version: 1, trigger: { event: 'steps.start', schema: z.object({ day: z.string() }) }, run: body }) as unknown as AnyJourney;

/** Each verb with a step, including a step marked twice (its upsert is skipped behind a patch) and a wait
 *  right after a send (whether events during the send count is behind a patch). */
const twoLines: Body = async (j) => {
  j.step('hello');
  await j.send('email', 'steps/hello', { a: 1 }, { topic: 'transactional' });
  j.step('wait-for-reply');
  await j.waitFor('reply', { within: '2 days' });
  j.step('wait-1h');
  await j.sleep('1 hour');
  j.step('wait-1h');
  await j.sleep('1 hour');
  j.step('until-day');
  await j.sleepUntil(j.entry.properties.day, { localTime: '10:00' });
  j.step('past');
  await j.waitFor('reply', { within: new Date(START - 1) });
  j.step('last');
  await j.send('email', 'steps/last');
  j.step('wait-again');
  await j.waitFor('reply', { within: '1 day' });
};

const withOption: Body = async (j) => {
  await j.send('email', 'steps/hello', { a: 1 }, { topic: 'transactional', step: 'hello' });
  await j.waitFor('reply', { within: '2 days', step: 'wait-for-reply' });
  await j.sleep('1 hour', { step: 'wait-1h' });
  await j.sleep('1 hour', { step: 'wait-1h' });
  await j.sleepUntil(j.entry.properties.day, { localTime: '10:00', step: 'until-day' });
  await j.waitFor('reply', { within: new Date(START - 1), step: 'past' });
  await j.send('email', 'steps/last', {}, { step: 'last' });
  await j.waitFor('reply', { within: '1 day', step: 'wait-again' });
};

async function runOf(body: Body): Promise<{ calls: string[]; status: JourneyStatus }> {
  const calls: string[] = [];
  const entry = { name: 'steps.start', messageId: 'm1', properties: { day: '2026-01-10' }, receivedAt: new Date(START).toISOString() };
  const input: JourneyInput = { journey: 'steps', customerId: 'ada', entryNo: 1, entry, traits: {}, timezone: 'Europe/Berlin', clockOffsetMs: 0 };
  const status = await createJourneyRun(journey(body), input, 'journey:steps:ada', recordingRuntime(calls)).run();
  return { calls, status };
}

test('{ step } makes exactly the runtime calls (the commands) of j.step on the line before, in the same order', async () => {
  const before = await runOf(twoLines);
  const after = await runOf(withOption);
  expect(after.calls).toEqual(before.calls);
  expect(after.status).toEqual(before.status);
  // The calls are the interesting ones: a step per verb, the second wait-1h without an upsert.
  expect(before.calls.filter((c) => c.startsWith('upsertStep'))).toEqual([
    'upsertStep hello',
    'upsertStep wait-for-reply',
    'upsertStep wait-1h',
    'upsertStep until-day',
    'upsertStep past',
    'upsertStep last',
    'upsertStep wait-again',
  ]);
});

test('testJourney shows a verb step as it shows j.step', async () => {
  const def = defineJourney({
    name: 'steps',
    version: 1,
    trigger: { event: 'steps.start', schema: z.object({}) },
    async run(j) {
      await j.sleep('1 hour', { step: 'wait-1h' });
      await j.send('email', 'steps/hello', {}, { step: 'hello' });
    },
  });
  const r = await testJourney(def, { entry: {} });
  expect(r.steps).toEqual([
    { at: '2026-01-05T09:00:00.000Z', step: 'wait-1h' },
    { at: '2026-01-05T10:00:00.000Z', step: 'hello' },
  ]);
});
