// The replenishment journey's decisions, on the in-memory driver (testkit/testJourney.ts).
import type { z } from 'zod';
import replenishment, { consumablesOf, type OrderCompleted } from '../../../journeys/replenishment';
import { testJourney } from '../../../testkit/testJourney';

type Item = z.input<typeof OrderCompleted>['items'] extends Array<infer I> | undefined ? I : never;

const coffee = { sku: 'coffee-1kg', name: 'House espresso beans, 1 kg', category: 'coffee', price: 24.9, consumable: { days: 30 } };
const filters = { sku: 'filter-3pk', name: 'Water filter cartridges', category: 'kitchen', price: 19.5, quantity: 3, consumable: { days: 30 } };
const grinder = { sku: 'grinder-m2', name: 'Burr grinder', category: 'kitchen', price: 149 };
const order = (orderId: string, ...items: Item[]) => ({ orderId, items });

test('each consumable gets one reminder at 80% of its supply (quantity × days × 0.8), with a subscribe-and-save offer', async () => {
  const r = await testJourney(replenishment, { entry: order('o-1', coffee, filters, grinder), timezone: 'Europe/Berlin' });
  expect(r.key).toBe('o-1');
  expect(r.outcome).toBe('completed');
  expect(r.messages.map((m) => [m.at, m.channels.join('>'), m.template, m.data.sku])).toEqual([
    ['2026-01-29T09:00:00.000Z', 'email', 'replenishment/reminder', 'coffee-1kg'], // 1 × 30 days × 0.8 = 24 days
    ['2026-03-18T09:00:00.000Z', 'email', 'replenishment/reminder', 'filter-3pk'], // 3 × 30 days × 0.8 = 72 days
  ]);
  expect(r.messages[0].data).toMatchObject({
    orderId: 'o-1',
    name: 'House espresso beans, 1 kg',
    orderedOn: '2026-01-05',
    orderedOnText: '5 January 2026',
    quantity: 1,
    supplyDays: 30,
    daysLeft: 6,
    priceText: '24.90',
    subscribeAndSave: { percentOff: 15, priceText: '21.17' },
  });
  expect(r.messages[1].data).toMatchObject({ quantity: 3, supplyDays: 90, daysLeft: 18 });
  expect(r.messages.every((m) => m.topic === 'marketing' && m.offers === undefined)).toBe(true);
  expect(r.steps.map((s) => s.step)).toEqual(['supply-running-down', 'reminder:coffee-1kg', 'supply-running-down', 'reminder:filter-3pk']);
});

test('a newer order of the same SKU restarts its clock: no reminder for the superseded order, the other SKU keeps its own', async () => {
  const old = await testJourney(replenishment, {
    entry: order('o-1', coffee, filters),
    events: [{ at: '10 days', name: 'order.completed', properties: order('o-2', coffee) }],
  });
  expect(old.outcome).toBe('completed');
  expect(old.messages.map((m) => [m.at, m.data.sku])).toEqual([['2026-03-18T09:00:00.000Z', 'filter-3pk']]);
  expect(old.steps.map((s) => s.step)).toContain('restocked:coffee-1kg');

  // The newer order's own run reminds 24 days after it: the clock restarted on day 10.
  const newer = await testJourney(replenishment, { entry: order('o-2', coffee), start: '2026-01-15T09:00:00Z' });
  expect(newer.messages.map((m) => [m.at, m.data.orderId])).toEqual([['2026-02-08T09:00:00.000Z', 'o-2']]);
});

test('only a newer order that has the SKU as a consumable stands a reminder down; the same order re-sent, other SKUs or a bad event do not', async () => {
  const r = await testJourney(replenishment, {
    entry: order('o-1', coffee),
    events: [
      { at: '2 days', name: 'order.completed', properties: order('o-1', coffee) }, // the same order again
      { at: '3 days', name: 'order.completed', properties: order('o-3', grinder, { ...coffee, sku: 'decaf-1kg' }) },
      { at: '4 days', name: 'order.completed', properties: order('o-4', { ...coffee, consumable: undefined }) }, // not tracked as a consumable there
      { at: '5 days', name: 'order.completed', properties: { orderId: 'o-5', items: 'coffee' } },
    ],
  });
  expect(r.sent).toEqual(['replenishment/reminder']);
  expect(r.messages[0]).toMatchObject({ at: '2026-01-29T09:00:00.000Z', data: { orderId: 'o-1', sku: 'coffee-1kg' } });
});

test('subscribing to the SKU before its reminder drops it: nothing more is sent and the run ends', async () => {
  const r = await testJourney(replenishment, {
    entry: order('o-1', coffee),
    events: [{ at: '5 days', name: 'subscription.started', properties: { sku: 'coffee-1kg' } }],
  });
  expect(r).toMatchObject({ outcome: 'completed', messages: [] });
  expect(r.endedAt).toBe('2026-01-10T09:00:00.000Z');
  expect(r.steps.map((s) => s.step)).toContain('subscribed:coffee-1kg');
});

test("a subscription to one consumable keeps the reminders of the order's other consumables", async () => {
  const r = await testJourney(replenishment, {
    entry: order('o-1', coffee, filters),
    events: [{ at: '2 days', name: 'subscription.started', properties: { sku: 'coffee-1kg' } }],
  });
  expect(r.messages.map((m) => m.data.sku)).toEqual(['filter-3pk']);
});

test('a subscription after the reminder (it worked) or to another SKU does not cancel the order’s other reminders', async () => {
  const r = await testJourney(replenishment, {
    entry: order('o-1', coffee, filters),
    events: [
      { at: '3 days', name: 'subscription.started', properties: { sku: 'tea-500g' } },
      { at: '30 days', name: 'subscription.started', properties: { sku: 'coffee-1kg' } },
    ],
  });
  expect(r.outcome).toBe('completed');
  expect(r.messages.map((m) => m.data.sku)).toEqual(['coffee-1kg', 'filter-3pk']);
});

test('orders without consumables start nothing, and an order.completed without items is not a rejection', async () => {
  expect(await testJourney(replenishment, { entry: order('o-9', grinder) })).toMatchObject({ outcome: 'not-entered', messages: [] });
  expect(await testJourney(replenishment, { entry: { orderId: 'o-10', cartId: 'A' } as never })).toMatchObject({ outcome: 'not-entered' });
  const bad = await testJourney(replenishment, { entry: order('o-11', { ...coffee, consumable: { days: 0 } }) });
  expect(bad.outcome).toBe('rejected');
  expect(bad.reason).toMatch(/^properties\.items\.0\.consumable\.days: /);
});

test('quantities of repeated lines add up; reminders come in due order', () => {
  const list = consumablesOf(
    {
      orderId: 'o',
      items: [
        { ...filters, quantity: 1 },
        { ...coffee, quantity: 2 },
        { ...filters, quantity: 1 },
      ],
    },
    0,
  );
  expect(list.map((c) => [c.sku, c.quantity, c.supplyDays, c.due / 86_400_000])).toEqual([
    ['coffee-1kg', 2, 60, 48],
    ['filter-3pk', 2, 60, 48],
  ]);
});
