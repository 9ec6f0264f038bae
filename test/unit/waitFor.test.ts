// Typed waits (issue 16, point 5): `j.waitFor(name, { within, match, schema })` parses the event with a zod
// schema (an event that fails it is ignored and recorded), takes a Date as `within` (one that has passed returns
// null at once, with no timer), and takes an entry property's name as `match`; exitOn and goal take that name too.
import { z } from 'zod';
import { createJourneyRun, VERB_PATCHES, type JourneyInput, type JourneyRuntime } from '../../domain/journeyContext';
import type { JourneyEvent } from '../../sdk/events';
import { defineJourney, type AnyJourney } from '../../sdk/journey';
import { testJourney } from '../../testkit/testJourney';

const Cart = z.object({ cartId: z.string() });
const Answer = z.object({ score: z.coerce.number().int().min(0).max(10), comment: z.string().default('') });

/** Waits up to a day for an answer with a schema; sends what it got. */
const survey = defineJourney({
  name: 'survey',
  version: 1,
  trigger: { event: 'survey.sent', schema: Cart },
  async run(j) {
    const answer = await j.waitFor('survey.answered', { within: '1 day', schema: Answer, match: (e) => e.properties.score >= 0 });
    // Typed: `score` is a number here, `comment` a string (tsc checks this file).
    const score: number | undefined = answer?.properties.score;
    const comment: string | undefined = answer?.properties.comment;
    await j.send('email', 'survey/thanks', { score: score ?? null, comment: comment ?? null });
  },
});

test('with a schema, the event comes back parsed: coerced, defaults filled in', async () => {
  const r = await testJourney(survey, { entry: { cartId: 'c1' }, events: [{ at: '2 hours', name: 'survey.answered', properties: { score: '7' } }] });
  expect(r.messages).toMatchObject([{ at: '2026-01-05T11:00:00.000Z', data: { score: 7, comment: '' } }]);
});

test('an event that fails the schema does not match: the wait goes on, and the timeline and log say why', async () => {
  const r = await testJourney(survey, {
    entry: { cartId: 'c1' },
    events: [
      { at: '1 hour', name: 'survey.answered', properties: { score: 'eleventy' } },
      { at: '3 hours', name: 'survey.answered', properties: { score: 9, comment: 'great' } },
    ],
  });
  expect(r.messages).toMatchObject([{ at: '2026-01-05T12:00:00.000Z', data: { score: 9, comment: 'great' } }]);
  const ignored = r.timeline.filter((t) => t.kind === 'ignored');
  expect(ignored).toEqual([
    { at: '2026-01-05T10:00:00.000Z', kind: 'ignored', detail: 'survey.answered', reason: expect.stringMatching(/^properties\.score: /) },
  ]);
  expect(r.log).toContainEqual(expect.stringMatching(/^2026-01-05T10:00:00.000Z {2}ignored survey\.answered \(properties\.score: /));
});

test('an event that fails the schema is recorded once, however often the wait looks at it', async () => {
  const r = await testJourney(survey, {
    entry: { cartId: 'c1' },
    events: [
      { at: '1 hour', name: 'survey.answered', properties: { score: -1 } },
      { at: '2 hours', name: 'survey.opened' },
      { at: '3 hours', name: 'survey.opened' },
    ],
  });
  expect(r.timeline.filter((t) => t.kind === 'ignored')).toHaveLength(1);
  expect(r.messages).toMatchObject([{ at: '2026-01-06T09:00:00.000Z', data: { score: null } }]);
});

/** Waits until a deadline the entry gives (an ISO instant). */
const deadline = defineJourney({
  name: 'deadline',
  version: 1,
  trigger: { event: 'offer.made', schema: z.object({ cartId: z.string(), until: z.iso.datetime() }) },
  exitOn: [{ event: 'cart.deleted', match: 'cartId' }],
  async run(j) {
    await j.send('email', 'offer/made');
    const taken = await j.waitFor('offer.taken', { within: new Date(j.entry.properties.until), match: 'cartId' });
    await j.send('email', taken ? 'offer/thanks' : 'offer/expired');
  },
});

const START = Date.parse('2026-01-05T09:00:00Z');

/** A runtime that writes down the calls that become commands; no event arrives, timers run out. */
function recordingRuntime(calls: string[]): JourneyRuntime {
  let now = START;
  return {
    now: () => new Date(now),
    sleep: async (ms) => void calls.push(`sleep ${ms}`, `(now ${new Date((now += ms)).toISOString()})`),
    condition: async (_fn, ms) => (calls.push(`condition ${ms}`), (now += ms), false),
    deliver: async (r) => (calls.push(`deliver ${r.template}`), { status: 'sent', channel: r.channels[0] }),
    updateTraits: async () => undefined,
    upsertStep: (step) => void calls.push(`upsertStep ${step}`),
    patched: (id) => (calls.push(`patched ${id}`), true),
    describe: () => undefined,
    scope: (body) => body(),
    end: () => undefined,
    isEnding: () => false,
    failure: (message) => new Error(message),
  };
}

const input = (entry: JourneyEvent): JourneyInput => ({
  journey: entry.name,
  customerId: 'ada',
  entryNo: 1,
  entry,
  traits: {},
  timezone: 'UTC',
  clockOffsetMs: 0,
});

const offer = (until: string): JourneyEvent => ({
  name: 'offer.made',
  messageId: 'm1',
  properties: { cartId: 'c1', until },
  receivedAt: new Date(START).toISOString(),
});

test('within a Date that has passed: null at once, and no command at all (no timer, no patch asked)', async () => {
  const calls: string[] = [];
  await createJourneyRun(deadline as unknown as AnyJourney, input(offer('2026-01-05T08:00:00Z')), 'journey:deadline:ada', recordingRuntime(calls)).run();
  // Exactly what `ms <= 0 ? null : await j.waitFor(…)` did: the verb is not even there.
  expect(calls).toEqual(['deliver offer/made', 'deliver offer/expired']);
});

test('within a Date ahead: one timer of exactly the time left, the same as `within` in milliseconds', async () => {
  const calls: string[] = [];
  await createJourneyRun(deadline as unknown as AnyJourney, input(offer('2026-01-07T21:00:00Z')), 'journey:deadline:ada', recordingRuntime(calls)).run();
  expect(calls).toEqual([
    'deliver offer/made',
    `patched ${VERB_PATCHES.waitForCountsEventsDuringSends}`,
    `condition ${60 * 3_600_000}`,
    'deliver offer/expired',
  ]);
});

test('within an invalid Date fails with the journey named, not a silent timer', async () => {
  const r = createJourneyRun(deadline as unknown as AnyJourney, input(offer('not a date')), 'journey:deadline:ada', recordingRuntime([]));
  await expect(r.run()).rejects.toThrow('j.waitFor in journey "deadline": within is an invalid Date');
});

test("match: 'cartId' takes only an event with the entry's cartId", async () => {
  const entry = { cartId: 'c1', until: '2026-01-06T09:00:00Z' };
  const other = await testJourney(deadline, { entry, events: [{ at: '1 hour', name: 'offer.taken', properties: { cartId: 'c2' } }] });
  expect(other.sent).toEqual(['offer/made', 'offer/expired']);
  const none = await testJourney(deadline, { entry, events: [{ at: '1 hour', name: 'offer.taken', properties: {} }] });
  expect(none.sent).toEqual(['offer/made', 'offer/expired']);
  const same = await testJourney(deadline, { entry, events: [{ at: '1 hour', name: 'offer.taken', properties: { cartId: 'c1' } }] });
  expect(same.sent).toEqual(['offer/made', 'offer/thanks']);
  expect(same.messages[1].at).toBe('2026-01-05T10:00:00.000Z');
});

test("exitOn { match: 'cartId' } ends only the run of that cart", async () => {
  const entry = { cartId: 'c1', until: '2026-01-06T09:00:00Z' };
  const other = await testJourney(deadline, { entry, events: [{ at: '1 hour', name: 'cart.deleted', properties: { cartId: 'c2' } }] });
  expect(other.outcome).toBe('completed');
  const same = await testJourney(deadline, { entry, events: [{ at: '1 hour', name: 'cart.deleted', properties: { cartId: 'c1' } }] });
  expect(same).toMatchObject({ outcome: 'exited', reason: 'cart.deleted', sent: ['offer/made'] });
});

test("an entry without the property matches nothing: match: 'cartId' is never undefined === undefined", async () => {
  const loose = defineJourney({
    name: 'loose',
    version: 1,
    trigger: { event: 'offer.made', schema: z.object({ cartId: z.string().optional() }) },
    async run(j) {
      const taken = await j.waitFor('offer.taken', { within: '1 day', match: 'cartId' });
      await j.send('email', taken ? 'offer/thanks' : 'offer/expired');
    },
  });
  const r = await testJourney(loose, { entry: {}, events: [{ at: '1 hour', name: 'offer.taken', properties: {} }] });
  expect(r.sent).toEqual(['offer/expired']);
});
