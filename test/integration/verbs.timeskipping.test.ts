// The journey SDK's verbs and re-entry policies on the real engine (time-skipping server, real SMTP),
// using test-only journeys (test/fixtures/journeys/verbs.ts) bundled beside the shipped ones.
import type { SimulationClock } from '../../simulate/clock';
import { pickVariant } from '../../sdk/split';
import { journeyStatusQuery, pauseSignal, resumeSignal, stateQuery } from '../../domain/messages';
import { bundleWithTestJourneys, type RunningEngine } from '../helpers/engine';
import type { SmtpSink } from '../../harness/smtpSink';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';
import { verbs } from '../fixtures/journeys/verbs';
import { testJourney } from '../../testkit/testJourney';

let h: TimeSkippingHarness;
let smtp: SmtpSink;
let engine: RunningEngine;
let clock: SimulationClock;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

beforeAll(async () => {
  h = await startTimeSkippingHarness({ policy: { caps: { perDay: 10, perWeek: 50 }, quietHours: null } }, undefined, bundleWithTestJourneys());
  ({ smtp, engine, clock } = h);
});

afterAll(async () => {
  await h?.stop();
});

const later = async (ms: number) => clock.advanceTo(new Date((await clock.now()).getTime() + ms));
const state = (id: string) => engine.client.workflow.getHandle(`customer:${id}`).query(stateQuery);
const templates = (id: string) => smtp.mailsTo(`${id}@example.com`).map((m) => m.headers.get('x-omnijourney-template'));

async function customer(id: string, traits: Record<string, unknown> = {}) {
  h.watch(id);
  await engine.send({ customerId: id, type: 'identify', name: 'identify', traits: { email: `${id}@example.com`, ...traits } });
}

test('split is deterministic and recorded, updateTraits reaches the profile, sleepUntil keeps 09:00 local across DST, waitFor matches, a non-exiting goal converts and continues', async () => {
  await customer('vera', { timezone: 'Europe/London' });
  // Next spring: the UK moves to BST on the last Sunday of March, so 09:00 local is 08:00 UTC.
  const year = (await clock.now()).getUTCFullYear() + 1;
  await engine.send({ customerId: 'vera', name: 'verbs.started', properties: { appointment: `${year}-03-30` } });
  const journey = await engine.started('journey:verbs:vera');
  await clock.settle();

  const expectedArm = pickVariant('vera:verbs:arm', { a: 50, b: 50 });
  expect((await state('vera')).traits.verbsArm).toBe(expectedArm);
  expect((await journey.query(journeyStatusQuery)).timeline).toContainEqual(expect.objectContaining({ kind: 'split', step: 'arm', detail: expectedArm }));

  await clock.advanceTo(new Date(`${year}-03-30T07:59:00Z`));
  expect(templates('vera')).toEqual([]);
  await clock.advanceTo(new Date(`${year}-03-30T08:01:00Z`));
  expect(templates('vera')).toEqual(['welcome/hello']);
  const sent = (await state('vera')).ledger.find((e) => e.template === 'welcome/hello' && e.status === 'sent');
  expect(sent?.at.slice(0, 16)).toBe(`${year}-03-30T08:00`);

  // A ping that does not match is ignored; the goal converts without ending; the matching ping continues.
  await engine.send({ customerId: 'vera', name: 'verbs.ping', properties: { ok: false } });
  await engine.send({ customerId: 'vera', name: 'verbs.goal', properties: {} });
  await later(HOUR);
  expect(templates('vera')).toEqual(['welcome/hello']);
  await engine.send({ customerId: 'vera', name: 'verbs.ping', properties: { ok: true } });
  await later(HOUR);
  expect(templates('vera')).toEqual(['welcome/hello', 'welcome/check-in']);
  const status = await journey.query(journeyStatusQuery);
  expect(status.status).toBe('completed');
  expect(status.timeline.filter((t) => t.kind === 'converted')).toHaveLength(1);
});

test('testJourney gives the timeline the engine gives for the same events: one implementation of the verbs', async () => {
  await customer('tess', { timezone: 'Europe/London' });
  const appointment = new Date((await clock.now()).getTime() + 2 * DAY).toISOString().slice(0, 10);
  await engine.send({ customerId: 'tess', name: 'verbs.started', properties: { appointment } });
  const journey = await engine.started('journey:verbs:tess');
  await clock.advanceTo(new Date(`${appointment}T12:00:00Z`));
  const script: Array<[string, Record<string, unknown>]> = [
    ['verbs.ping', { ok: false }],
    ['verbs.goal', {}],
    ['verbs.ping', { ok: true }],
  ];
  for (const [name, properties] of script) {
    await engine.send({ customerId: 'tess', name, properties });
    await later(HOUR);
  }
  const status = await journey.query(journeyStatusQuery);
  expect(status.status).toBe('completed');

  // The same run in memory: from the engine's start, with the events at the times the customer received them.
  const received = (await state('tess')).recentEvents.filter((e) => e.name === 'verbs.ping' || e.name === 'verbs.goal');
  expect(received.map((e) => e.name)).toEqual(script.map(([name]) => name));
  const unit = await testJourney(verbs, {
    entry: { appointment },
    start: status.timeline[0].at,
    customerId: 'tess',
    timezone: 'Europe/London',
    events: script.map(([name, properties], i) => ({ at: received[i].at, name, properties })),
  });
  const shape = (t: (typeof status.timeline)[number]) => ({ ...t, at: undefined });
  expect(unit.timeline.map(shape)).toEqual(status.timeline.map(shape));
  expect(unit.timeline.map((t) => t.kind)).toEqual(['entered', 'step', 'split', 'step', 'message', 'step', 'converted', 'message', 'completed']);
  // Times agree up to the engine's round trips (a send's result comes back after its activity ran).
  unit.timeline.forEach((t, i) => expect(Math.abs(Date.parse(t.at) - Date.parse(status.timeline[i].at))).toBeLessThan(5_000));
});

test('waitFor times out: no matching event within 2 days takes the other branch', async () => {
  await customer('walt');
  const tomorrow = new Date((await clock.now()).getTime() + DAY).toISOString().slice(0, 10);
  await engine.send({ customerId: 'walt', name: 'verbs.started', properties: { appointment: tomorrow } });
  await later(DAY + 12 * HOUR);
  expect(templates('walt')).toEqual(['welcome/hello']);
  await later(2 * DAY);
  expect(templates('walt')).toEqual(['welcome/hello', 'welcome/first-project-nudge']);
});

test("re-entry 'always': a second trigger while the first run is live starts a second run", async () => {
  await customer('ava');
  await engine.send({ customerId: 'ava', name: 'always.ping', properties: {} });
  await later(HOUR);
  await engine.send({ customerId: 'ava', name: 'always.ping', properties: {} });
  await later(DAY + HOUR);
  expect(templates('ava')).toEqual(['welcome/check-in', 'welcome/check-in']);
  const runs = Object.values((await state('ava')).journeys).filter((r) => r.journey === 'always');
  expect(runs.map((r) => r.workflowId).sort()).toEqual(['journey:always:ava', 'journey:always:ava#2']);
});

test('re-entry after a cool-down: a trigger inside 7 days of the last run starts nothing, after it starts again', async () => {
  await customer('cole');
  await engine.send({ customerId: 'cole', name: 'cooldown.ping', properties: {} });
  await later(3 * DAY);
  await engine.send({ customerId: 'cole', name: 'cooldown.ping', properties: {} });
  await later(5 * DAY);
  expect(templates('cole')).toHaveLength(1);
  await engine.send({ customerId: 'cole', name: 'cooldown.ping', properties: {} });
  await later(HOUR);
  expect(templates('cole')).toHaveLength(2);
  expect((await state('cole')).journeys['journey:cooldown:cole'].entries).toBe(2);
});

test('pausing a customer holds their messages (reason "paused"); resuming sends them at once', async () => {
  await customer('paula');
  const c = engine.client.workflow.getHandle('customer:paula');
  await c.signal(pauseSignal);
  await engine.send({ customerId: 'paula', name: 'user.signed_up', properties: {} });
  await later(6 * HOUR);
  expect(templates('paula')).toEqual([]);
  expect((await state('paula')).ledger.at(-1)).toMatchObject({ template: 'welcome/hello', status: 'deferred', reason: 'paused' });

  await c.signal(resumeSignal);
  await later(60_000);
  expect(templates('paula')).toEqual(['welcome/hello']);
});
