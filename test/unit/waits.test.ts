// A definition's `waits` (issue 18, engine cost): the events its j.waitFor calls name. The customer workflow
// forwards a run only the events it can use (test/unit/routing.test.ts), so a wait for another name could
// never end early: it fails the run at once, naming the journey, the event and the list, in testJourney as in
// the engine (a non-retryable `undeclared-wait`, behind a patch asked only then).
import { z } from 'zod';
import { createJourneyRun, VERB_PATCHES, type JourneyRuntime } from '../../domain/journeyContext';
import { FailureTypes } from '../../domain/delivery';
import { journeys } from '../../journeys';
import { defineJourney, type AnyJourney } from '../../sdk/journey';
import { testJourney } from '../../testkit/testJourney';

const Order = z.object({ orderId: z.string() });

const survey = defineJourney({
  name: 'survey',
  version: 1,
  trigger: { event: 'order.completed', schema: Order },
  waits: ['survey.answered', 'survey.declined'],
  async run(j) {
    const answer = await j.waitFor(['survey.answered', 'survey.declined'], { within: '7 days', match: 'orderId' });
    await j.send('email', answer?.name === 'survey.answered' ? 'survey/thanks' : 'survey/reminder');
  },
});

/** Waits for a name its `waits` leaves out: what a journey looks like when the list was not updated. */
const forgetful = defineJourney({
  name: 'forgetful',
  version: 1,
  trigger: { event: 'order.completed', schema: Order },
  waits: ['survey.answered'],
  async run(j) {
    await j.send('email', 'survey/ask');
    // A name typed elsewhere (a constant, a config) gets past the type check; the run-time check stops it.
    await j.waitFor(['survey.answered', 'review.posted' as 'survey.answered'], { within: '7 days' });
  },
});

const MESSAGE =
  'j.waitFor in journey "forgetful": "review.posted" is not in its waits ["survey.answered"], so the engine never forwards it to this journey. Add "review.posted" to waits in its defineJourney.';

test('a declared wait works as before, for any of its names', async () => {
  const r = await testJourney(survey, { entry: { orderId: 'o1' }, events: [{ at: '1 day', name: 'survey.declined', properties: { orderId: 'o1' } }] });
  expect(r.sent).toEqual(['survey/reminder']);
  expect(r.messages[0].at).toBe('2026-01-06T09:00:00.000Z');
});

test('a wait for a name not in `waits` fails in testJourney, naming the journey, the event and the list', async () => {
  await expect(testJourney(forgetful, { entry: { orderId: 'o1' } })).rejects.toThrow(MESSAGE);
});

test('in the engine: the patch is asked only for an undeclared name, then the run fails for good as undeclared-wait', async () => {
  const calls: string[] = [];
  let failedAs: string | undefined;
  const rt: JourneyRuntime = {
    now: () => new Date('2026-01-05T09:00:00Z'),
    sleep: async () => undefined,
    condition: async (_fn, ms) => (calls.push(`condition ${ms}`), false),
    deliver: async (r) => (calls.push(`deliver ${r.template}`), { status: 'sent', channel: r.channels[0] }),
    updateTraits: async () => undefined,
    upsertStep: () => undefined,
    patched: (id) => (calls.push(`patched ${id}`), true),
    describe: () => undefined,
    scope: (body) => body(),
    end: () => undefined,
    isEnding: () => false,
    failure: (message, type) => ((failedAs = type), new Error(message)),
  };
  const entry = { name: 'order.completed', messageId: 'm1', properties: { orderId: 'o1' }, receivedAt: '2026-01-05T09:00:00.000Z' };
  const input = { journey: 'forgetful', customerId: 'ada', entryNo: 1, entry, traits: {}, timezone: 'UTC', clockOffsetMs: 0 };
  await expect(createJourneyRun(forgetful as AnyJourney, input, 'journey:forgetful:ada', rt).run()).rejects.toThrow(MESSAGE);
  expect(calls).toEqual(['deliver survey/ask', `patched ${VERB_PATCHES.waitForNamesDeclared}`]);
  expect(failedAs).toBe(FailureTypes.UndeclaredWait);

  // A run that waited before the check (its history has no marker) replays its wait as it ran.
  calls.length = 0;
  const replaying = { ...rt, patched: (id: string) => (calls.push(`patched ${id}`), false) };
  const status = await createJourneyRun(forgetful as AnyJourney, input, 'journey:forgetful:ada', replaying).run();
  expect(status.status).toBe('completed');
  expect(calls).toEqual([
    'deliver survey/ask',
    `patched ${VERB_PATCHES.waitForNamesDeclared}`,
    `patched ${VERB_PATCHES.waitForCountsEventsDuringSends}`,
    `condition ${7 * 86_400_000}`,
  ]);
});

test('without `waits`, any name is waited for, and nothing is asked', async () => {
  const open = defineJourney({
    name: 'open',
    version: 1,
    trigger: { event: 'order.completed', schema: Order },
    async run(j) {
      const e = await j.waitFor('anything.at.all', { within: '1 day' });
      await j.send('email', e ? 'open/got' : 'open/none');
    },
  });
  expect((await testJourney(open, { entry: { orderId: 'o1' }, events: [{ at: '1 hour', name: 'anything.at.all' }] })).sent).toEqual(['open/got']);
});

test('every shipped journey declares `waits`, so its runs get only the events they can use', () => {
  expect(journeys.filter((def) => def.waits === undefined).map((def) => def.name)).toEqual([]);
});
