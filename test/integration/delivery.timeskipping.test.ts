// The delivery pipeline's promises on the real engine (time-skipping server, real SMTP): quiet hours in
// the customer's own timezone (also across a DST change), caps shared by competing journeys with the
// ledger explaining each suppression, and transactional bypasses.
import type { SimulationClock } from '../../simulate/clock';
import { journeyStatusQuery, stateQuery } from '../../domain/messages';
import { bundleWithTestJourneys, type RunningEngine } from '../helpers/engine';
import type { SmtpSink } from '../../harness/smtpSink';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';

let h: TimeSkippingHarness;
let smtp: SmtpSink;
let engine: RunningEngine;
let clock: SimulationClock;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

beforeAll(async () => {
  h = await startTimeSkippingHarness(
    { policy: { caps: { perDay: 2, perWeek: 5 }, quietHours: { start: '21:00', end: '08:00' } } },
    undefined,
    bundleWithTestJourneys(),
  );
  ({ smtp, engine, clock } = h);
});

afterAll(async () => {
  await h?.stop();
});

const later = async (ms: number) => clock.advanceTo(new Date((await clock.now()).getTime() + ms));
const state = (id: string) => engine.client.workflow.getHandle(`customer:${id}`).query(stateQuery);
const localTime = (iso: string, tz: string) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));

async function customer(id: string, timezone: string) {
  h.watch(id);
  await engine.send({ customerId: id, type: 'identify', name: 'identify', traits: { email: `${id}@example.com`, timezone } });
}

/** The last Saturday before the next spring-forward in New York (second Sunday of March), 23:30 local. */
async function nightBeforeDst(): Promise<{ at: string; morning: string }> {
  const year = (await clock.now()).getUTCFullYear() + 1;
  const firstSunday = [...Array(7)].map((_, i) => new Date(Date.UTC(year, 2, i + 1))).find((d) => d.getUTCDay() === 0) as Date;
  const dstSunday = new Date(firstSunday.getTime() + 7 * DAY);
  // 23:30 EST (UTC-5) on Saturday = 04:30Z Sunday; 08:00 EDT (UTC-4) on Sunday = 12:00Z.
  return { at: `${dstSunday.toISOString().slice(0, 10)}T04:30:00Z`, morning: `${dstSunday.toISOString().slice(0, 10)}T12:00:00Z` };
}

test('a message due at 23:30 local is delivered at 08:00 local the next morning, across the spring DST change', async () => {
  await customer('nora', 'America/New_York');
  const { at, morning } = await nightBeforeDst();
  expect(localTime(at, 'America/New_York')).toMatch(/23:30$/);
  await engine.send({ customerId: 'nora', name: 'nightly.start', properties: { at } });
  await clock.advanceTo(new Date(new Date(at).getTime() + HOUR));
  expect(smtp.mailsTo('nora@example.com')).toHaveLength(0);
  const held = (await state('nora')).ledger.at(-1);
  expect(held).toMatchObject({ status: 'deferred', reason: 'quiet-hours', until: new Date(morning).toISOString() });

  await clock.advanceTo(new Date(new Date(morning).getTime() + 5 * 60_000));
  expect(smtp.mailsTo('nora@example.com')).toHaveLength(1);
  const sent = (await state('nora')).ledger.at(-1);
  expect(sent?.status).toBe('sent');
  expect(localTime(sent?.at ?? '', 'America/New_York')).toMatch(/08:00$/);
  expect(sent?.holds).toEqual([expect.objectContaining({ reason: 'quiet-hours' })]);
});

test('three journeys competing on one day share the cap of 2; the ledger says why the third was not sent', async () => {
  await customer('cara', 'Europe/Berlin');
  const now = await clock.now();
  // Noon in Berlin, well outside quiet hours.
  const noon = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 11, 0));
  await clock.advanceTo(noon);
  await engine.send({ customerId: 'cara', name: 'promo.day', properties: {} });
  await later(HOUR);
  expect(smtp.mailsTo('cara@example.com')).toHaveLength(2);
  const ledger = (await state('cara')).ledger.filter((e) => e.journey.startsWith('promo-'));
  expect(ledger.map((e) => e.status).sort()).toEqual(['sent', 'sent', 'suppressed']);
  expect(ledger.find((e) => e.status === 'suppressed')).toMatchObject({ reason: 'frequency-cap', detail: '2 marketing messages in the last 24 h (cap 2)' });

  // A receipt is transactional: it does not count against nor get stopped by the cap.
  await engine.send({ customerId: 'cara', name: 'receipt.due', properties: {} });
  await later(HOUR);
  expect(smtp.mailsTo('cara@example.com')).toHaveLength(3);

  // A day later there is room again.
  await later(DAY);
  await engine.send({ customerId: 'cara', name: 'promo.day', properties: {} });
  await later(HOUR);
  expect(smtp.mailsTo('cara@example.com')).toHaveLength(5);
});

test('an urgent transactional message goes out in quiet hours; a plain transactional one waits', async () => {
  await customer('ugo', 'Asia/Tokyo');
  const now = await clock.now();
  // 23:00 in Tokyo (UTC+9) = 14:00Z.
  const night = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 14, 0));
  await clock.advanceTo(night);
  await engine.send({ customerId: 'ugo', name: 'receipt.due', properties: { urgent: true } });
  await engine.send({ customerId: 'ugo', name: 'receipt.due', properties: { urgent: false } });
  await later(HOUR);
  expect(smtp.mailsTo('ugo@example.com')).toHaveLength(1);
  await later(9 * HOUR);
  expect(smtp.mailsTo('ugo@example.com')).toHaveLength(2);
});

test('an event that arrives while a send is held by quiet hours still counts for the waitFor after it', async () => {
  // welcome: hello, then waitFor project.created (3 days), a nudge if none came. The sign-up comes at 22:00,
  // so hello is held until 08:00; the project is created at 23:00, while the journey is still inside its
  // send. For the author the send was instant and the project came after it: no nudge.
  await customer('quinn', 'UTC');
  const day = new Date((await clock.now()).getTime() + DAY).toISOString().slice(0, 10);
  const next = new Date(new Date(`${day}T00:00:00Z`).getTime() + DAY).toISOString().slice(0, 10);
  await clock.advanceTo(new Date(`${day}T22:00:00Z`));
  await engine.send({ customerId: 'quinn', name: 'user.signed_up', properties: { plan: 'pro' } });
  await later(HOUR);
  expect(smtp.mailsTo('quinn@example.com')).toHaveLength(0);
  expect((await state('quinn')).ledger.at(-1)).toMatchObject({ template: 'welcome/hello', status: 'deferred', reason: 'quiet-hours' });
  await engine.send({ customerId: 'quinn', name: 'project.created', properties: { projectId: 'p-1' } });

  // Past the 3-day wait: no nudge, the journey knows about the project (the check-in follows 30 days later).
  await clock.advanceTo(new Date(new Date(`${next}T09:00:00Z`).getTime() + 4 * DAY));
  const templates = smtp.mailsTo('quinn@example.com').map((m) => m.headers.get('x-omnijourney-template'));
  expect(templates).toEqual(['welcome/hello']);
  const status = await engine.client.workflow.getHandle('journey:welcome:quinn').query(journeyStatusQuery);
  expect(status.timeline.map((t) => t.step).filter(Boolean)).toEqual(['welcome', 'wait-for-first-project']);
});

test('a reminder held by quiet hours is dropped when the cart is bought before morning: the run ended, the message no longer applies', async () => {
  await customer('bea', 'Europe/London');
  const day = new Date((await clock.now()).getTime() + 2 * DAY).toISOString().slice(0, 10);
  // Winter: London is UTC. The cart at 22:00, its first reminder due at 23:00 (held until 08:00).
  await clock.advanceTo(new Date(`${day}T22:00:00Z`));
  await engine.send({ customerId: 'bea', name: 'checkout.started', properties: { cartId: 'c-9', items: [{ sku: 's', name: 'Socks', price: 5 }], value: 5 } });
  await clock.advanceTo(new Date(`${day}T23:10:00Z`));
  expect((await state('bea')).ledger.at(-1)).toMatchObject({ template: 'abandoned-cart/reminder-1', status: 'deferred', reason: 'quiet-hours' });
  await engine.send({ customerId: 'bea', name: 'order.completed', properties: { cartId: 'c-9' } });
  await later(10 * HOUR);
  expect(smtp.mailsTo('bea@example.com')).toHaveLength(0);
  expect((await state('bea')).ledger.at(-1)).toMatchObject({ template: 'abandoned-cart/reminder-1', status: 'suppressed', reason: 'journey-ended' });
});
