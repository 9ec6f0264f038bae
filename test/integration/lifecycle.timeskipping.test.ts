// The shipped lifecycle journeys (replenishment, warranty, travel-intent and travel-pre-trip) on the real
// engine: time-skipping server, real mail to the SMTP sink, the delivery ledger read from the customer.
import type { ParsedMail } from 'mailparser';
import { localDate, longDate } from '../../journeys/dates';
import { addMonths } from '../../journeys/warranty';
import { resolveWakeTime } from '../../sdk/schedule';
import { nextLocalTime } from '../../sdk/timezone';
import type { SimulationClock } from '../../simulate/clock';
import { stateQuery } from '../../domain/messages';
import type { RunningEngine } from '../helpers/engine';
import type { SmtpSink } from '../../harness/smtpSink';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';

let h: TimeSkippingHarness;
let smtp: SmtpSink;
let engine: RunningEngine;
let clock: SimulationClock;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

beforeAll(async () => {
  // Generous caps and no quiet hours: these tests are about the journeys' rules, not the policy's.
  h = await startTimeSkippingHarness({ policy: { caps: { perDay: 10, perWeek: 50 }, quietHours: null } });
  ({ smtp, engine, clock } = h);
});

afterAll(async () => {
  await h?.stop();
});

const later = async (ms: number) => clock.advanceTo(new Date((await clock.now()).getTime() + ms));
const state = (id: string) => engine.client.workflow.getHandle(`customer:${id}`).query(stateQuery);
const template = (m: ParsedMail) => String(m.headers.get('x-omnijourney-template'));
/** Mails to the customer from templates under `prefix` (other journeys, e.g. gift-or-self, also react to orders). */
const mails = (id: string, prefix: string) => smtp.mailsTo(`${id}@example.com`).filter((m) => template(m).startsWith(prefix));

async function customer(id: string, traits: Record<string, unknown> = {}) {
  h.watch(id);
  await engine.send({ customerId: id, type: 'identify', name: 'identify', traits: { email: `${id}@example.com`, ...traits } });
}
const track = (customerId: string, name: string, properties: Record<string, unknown>) => engine.send({ customerId, name, properties });

describe('replenishment', () => {
  const coffee = { sku: 'espresso-1kg', name: 'House espresso beans', category: 'coffee', price: 24.9, consumable: { days: 30 } };
  const filters = { sku: 'filter-cartridge', name: 'Water filter cartridge', category: 'kitchen', price: 9.5, quantity: 2, consumable: { days: 30 } };
  const grinder = { sku: 'grinder-m2', name: 'Burr grinder', category: 'kitchen', price: 149 };

  test('a reminder at 80% of each supply; a newer order of the SKU restarts its clock and the superseded order sends nothing; an order without consumables starts nothing', async () => {
    await customer('lena', { firstName: 'Lena', timezone: 'Europe/Berlin' });
    const t0 = (await clock.now()).getTime();
    await track('lena', 'order.completed', { orderId: 'o-1', items: [coffee, filters, grinder] });
    await track('lena', 'order.completed', { orderId: 'o-2', items: [grinder] });
    await engine.started('journey:replenishment:lena:o-1');
    await clock.settle();
    expect(Object.keys((await state('lena')).journeys)).not.toContain('journey:replenishment:lena:o-2');

    // Day 10: more coffee. o-1's coffee reminder (due day 24) stands down; o-3's is due on day 34.
    await clock.advanceTo(new Date(t0 + 10 * DAY));
    await track('lena', 'order.completed', { orderId: 'o-3', items: [coffee] });
    await engine.started('journey:replenishment:lena:o-3');

    await clock.advanceTo(new Date(t0 + 24 * DAY + HOUR));
    expect(mails('lena', 'replenishment/')).toEqual([]);

    await clock.advanceTo(new Date(t0 + 34 * DAY + HOUR));
    const [reminder] = mails('lena', 'replenishment/');
    expect(mails('lena', 'replenishment/')).toHaveLength(1);
    expect(reminder.subject).toBe('Lena, running low on House espresso beans?');
    expect(reminder.text).toContain('you have roughly 6 days left');
    expect(reminder.text).toContain('you pay 21.17 instead of 24.90 per delivery (15% off)');
    expect(reminder.text).toContain('https://shop.acme.test/subscribe?sku=espresso-1kg');

    // Day 48: the filters from o-1 (2 × 30 days × 0.8) still get theirs.
    await clock.advanceTo(new Date(t0 + 48 * DAY + HOUR));
    expect(mails('lena', 'replenishment/').map((m) => m.subject)).toEqual([
      'Lena, running low on House espresso beans?',
      'Lena, running low on Water filter cartridge?',
    ]);
    const s = await state('lena');
    const sent = s.ledger.filter((e) => e.journey === 'replenishment' && e.status === 'sent');
    expect(sent.map((e) => [e.key, Math.round((Date.parse(e.at) - t0) / DAY)])).toEqual([
      ['o-3', 34],
      ['o-1', 48],
    ]);
    expect(s.journeys['journey:replenishment:lena:o-1'].status).toBe('completed');
    expect(s.journeys['journey:replenishment:lena:o-3'].status).toBe('completed');
  });

  test('subscribing to the SKU before its reminder drops it: no reminder, and the run ends', async () => {
    await customer('milo');
    await track('milo', 'order.completed', { orderId: 'o-7', items: [coffee] });
    await engine.started('journey:replenishment:milo:o-7');
    await later(5 * DAY);
    await track('milo', 'subscription.started', { sku: 'espresso-1kg' });
    await later(30 * DAY);
    expect(mails('milo', 'replenishment/')).toEqual([]);
    const s = await state('milo');
    expect(s.journeys['journey:replenishment:milo:o-7'].status).toBe('completed');
    expect(s.ledger.filter((e) => e.journey === 'replenishment')).toEqual([]);
  });
});

test('warranty: the extension offer 30 days before the end at 09:00 local; none after the product was sold; an extension the customer already owns is suppressed as already-owned', async () => {
  const tz = 'America/Chicago';
  await customer('sam', { firstName: 'Sam', timezone: tz });
  const today = localDate(await clock.now(), tz);
  await track('sam', 'product.purchased', { productId: 'tv-1', sku: 'oled-65', name: '65-inch OLED TV', warrantyMonths: 12 });
  await track('sam', 'product.purchased', { productId: 'bike-1', sku: 'city-ebike', name: 'City e-bike', warrantyMonths: 12, purchasedAt: today });
  await track('sam', 'product.purchased', { productId: 'car-1', sku: 'volta-ev', name: 'Volta EV sedan', warrantyMonths: 12, purchasedAt: today });
  // The extended warranty for the car, bought at checkout: a product without a warranty of its own.
  await track('sam', 'product.purchased', { productId: 'car-1-ext', sku: 'volta-ev-warranty-ext', name: 'Volta EV extended warranty' });
  await engine.started('journey:warranty:sam:car-1');
  await clock.settle();
  let s = await state('sam');
  expect(Object.keys(s.journeys).sort()).toEqual(['journey:warranty:sam:bike-1', 'journey:warranty:sam:car-1', 'journey:warranty:sam:tv-1']);
  expect(s.rejections).toEqual([]);

  await later(100 * DAY);
  await track('sam', 'product.sold', { productId: 'bike-1', sku: 'city-ebike' });

  const offerAt = resolveWakeTime(addMonths(today, 12), { offset: '-30 days', localTime: '09:00' }, tz);
  await clock.advanceTo(new Date(offerAt.getTime() - MINUTE));
  expect(mails('sam', 'warranty/')).toEqual([]);
  await clock.advanceTo(new Date(offerAt.getTime() + 5 * MINUTE));

  const offers = mails('sam', 'warranty/');
  expect(offers.map((m) => m.subject)).toEqual([`Your 65-inch OLED TV warranty ends on ${longDate(addMonths(today, 12))}`]);
  expect(offers[0].text).toContain('https://shop.acme.test/warranty/extend?sku=oled-65-warranty-ext&product=tv-1');

  s = await state('sam');
  const ledger = s.ledger.filter((e) => e.journey === 'warranty').sort((a, b) => String(a.key).localeCompare(String(b.key)));
  expect(ledger.map((e) => [e.key, e.status, e.reason])).toEqual([
    ['car-1', 'suppressed', 'already-owned'],
    ['tv-1', 'sent', undefined],
  ]);
  expect(ledger[0].detail).toBe('the customer already owns volta-ev-warranty-ext');
  expect(ledger[1].at.slice(0, 16)).toBe(offerAt.toISOString().slice(0, 16));
  expect(s.journeys['journey:warranty:sam:bike-1'].status).toBe('exited');
  expect(s.journeys['journey:warranty:sam:car-1'].status).toBe('completed');
});

describe('travel', () => {
  const view = (id: string, destination: string, category = 'destination') => track(id, 'page.viewed', { category, destination });

  test('three views of a destination in 14 days: one inspiration, not repeated; two views fade quietly; other page views start nothing', async () => {
    await customer('noor', { firstName: 'Noor', timezone: 'Europe/London' });
    await view('noor', 'Lisbon');
    await track('noor', 'page.viewed', { category: 'deals', path: '/deals/spring' });
    await track('noor', 'page.viewed', { path: '/' });
    await view('noor', 'Kyoto');
    await later(4 * DAY);
    await view('noor', 'Lisbon');
    await view('noor', 'Kyoto');
    await later(4 * DAY);
    await view('noor', 'Lisbon');
    await later(HOUR);
    expect(mails('noor', 'travel-intent/')).toEqual([]); // two hours after the third view
    await later(HOUR + MINUTE);
    expect(mails('noor', 'travel-intent/').map((m) => m.subject)).toEqual(['Dreaming of Lisbon, Noor?']);
    expect(mails('noor', 'travel-intent/')[0].text).toContain('https://travel.acme.test/guides/lisbon');

    await view('noor', 'Lisbon');
    await later(DAY);
    await view('noor', 'Lisbon');
    await view('noor', 'Lisbon');
    await later(20 * DAY);
    expect(mails('noor', 'travel-intent/')).toHaveLength(1);

    const s = await state('noor');
    expect(s.journeys['journey:travel-intent:noor:kyoto'].status).toBe('completed');
    expect(s.journeys['journey:travel-intent:noor:lisbon']).toMatchObject({ status: 'running', entries: 1 }); // resting: inspired once
    expect(Object.keys(s.journeys).filter((id) => id.startsWith('journey:travel-intent:'))).toHaveLength(2);
    expect(s.rejections).toEqual([]);
  });

  test('a booking ends the browse journey before the third view and starts the pre-trip journey: 7 days before departure at 09:00 local, or at once when departure is sooner', async () => {
    const tz = 'Europe/London';
    await customer('ravi', { firstName: 'Ravi', timezone: tz });
    await view('ravi', 'Reykjavik');
    await later(DAY);
    await view('ravi', 'Reykjavik');
    await later(DAY);
    const departDate = localDate(new Date((await clock.now()).getTime() + 30 * DAY), tz);
    await track('ravi', 'booking.completed', { bookingId: 'BK-1', destination: 'Reykjavik', departDate });
    await engine.started('journey:travel-pre-trip:ravi:BK-1');
    await clock.settle();
    let s = await state('ravi');
    expect(s.journeys['journey:travel-intent:ravi:reykjavik'].status).toBe('exited');
    expect(s.traits['upcomingTrip:reykjavik']).toBe(departDate);

    // Planning the booked trip: views of Reykjavik start nothing, so no inspiration.
    await view('ravi', 'Reykjavik');
    await view('ravi', 'Reykjavik');
    await view('ravi', 'Reykjavik');
    await later(DAY);
    expect((await state('ravi')).journeys['journey:travel-intent:ravi:reykjavik']).toMatchObject({ status: 'exited', entries: 1 });

    // A short-notice trip at noon: departure in 3 days, so the pre-trip message goes out at once.
    await clock.advanceTo(nextLocalTime(await clock.now(), '12:00', tz));
    const soon = localDate(new Date((await clock.now()).getTime() + 3 * DAY), tz);
    await track('ravi', 'booking.completed', { bookingId: 'BK-2', destination: 'Edinburgh', departDate: soon });
    await engine.started('journey:travel-pre-trip:ravi:BK-2');
    await clock.settle();
    expect(mails('ravi', 'travel-intent/').map((m) => m.subject)).toEqual(['3 days to Edinburgh: your pre-trip checklist']);

    const preTripAt = resolveWakeTime(departDate, { offset: '-7 days', localTime: '09:00' }, tz);
    await clock.advanceTo(new Date(preTripAt.getTime() - MINUTE));
    expect(mails('ravi', 'travel-intent/')).toHaveLength(1);
    await clock.advanceTo(new Date(preTripAt.getTime() + 5 * MINUTE));
    const all = mails('ravi', 'travel-intent/');
    expect(all.map((m) => m.subject)).toEqual(['3 days to Edinburgh: your pre-trip checklist', '7 days to Reykjavik: your pre-trip checklist']);
    expect(all.map(template)).toEqual(['travel-intent/pre-trip', 'travel-intent/pre-trip']);

    s = await state('ravi');
    const preTrip = s.ledger.filter((e) => e.journey === 'travel-pre-trip' && e.status === 'sent');
    expect(preTrip.map((e) => [e.key, e.topic, e.channel])).toEqual([
      ['BK-2', 'transactional', 'email'],
      ['BK-1', 'transactional', 'email'],
    ]);
    expect(preTrip[1].at.slice(0, 16)).toBe(preTripAt.toISOString().slice(0, 16));
    expect(s.ledger.some((e) => e.template === 'travel-intent/inspiration')).toBe(false);

    // After departure the trip leaves the profile, and the journey ends.
    await clock.advanceTo(resolveWakeTime(departDate, { offset: '1 day', localTime: '01:00' }, tz));
    s = await state('ravi');
    expect(s.traits['upcomingTrip:reykjavik']).toBeUndefined();
    expect(s.journeys['journey:travel-pre-trip:ravi:BK-1'].status).toBe('completed');
  });
});
