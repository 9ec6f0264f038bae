// The warranty journey's decisions, on the in-memory driver (testkit/testJourney.ts).
import warranty, { addMonths } from '../../../journeys/warranty';
import { testJourney } from '../../../testkit/testJourney';

const car = { productId: 'car-1', sku: 'ev-sedan', name: 'Volta EV sedan', warrantyMonths: 24, purchasedAt: '2026-01-05' };

test('the extension offer goes out 30 days before the warranty ends, at 09:00 local, offering the extension SKU', async () => {
  const r = await testJourney(warranty, { entry: car, timezone: 'Europe/Berlin' });
  expect(r.key).toBe('car-1');
  expect(r.outcome).toBe('completed');
  // Ends 2028-01-05; 30 days before is 2027-12-06, 09:00 in Berlin (CET, UTC+1).
  expect(r.messages).toHaveLength(1);
  expect(r.messages[0]).toMatchObject({
    at: '2027-12-06T08:00:00.000Z',
    channels: ['email'],
    template: 'warranty/extension-offer',
    topic: 'marketing',
    offers: ['ev-sedan-warranty-ext'],
    status: 'sent',
    data: {
      productId: 'car-1',
      name: 'Volta EV sedan',
      warrantyMonths: 24,
      warrantyEnds: '2028-01-05',
      warrantyEndsText: '5 January 2028',
      purchasedAtText: '5 January 2026',
      extensionSku: 'ev-sedan-warranty-ext',
    },
  });
  expect(r.steps.map((s) => s.step)).toEqual(['under-warranty', 'extension-offer']);
});

test('without purchasedAt the warranty runs from the day of the event in the customer’s timezone', async () => {
  // 2026-01-05T03:00Z is still 4 January in Chicago.
  const r = await testJourney(warranty, {
    entry: { productId: 'tv-1', sku: 'tv-65', warrantyMonths: 12 },
    start: '2026-01-05T03:00:00Z',
    timezone: 'America/Chicago',
  });
  expect(r.messages[0]).toMatchObject({ at: '2026-12-05T15:00:00.000Z', data: { warrantyEnds: '2027-01-04', name: 'tv-65' } });
});

test('no offer once the product is sold or returned: the run ends at once', async () => {
  const sold = await testJourney(warranty, {
    entry: car,
    events: [{ at: '300 days', name: 'product.sold', properties: { productId: 'car-1', sku: 'ev-sedan' } }],
  });
  expect(sold).toMatchObject({ outcome: 'exited', reason: 'product.sold', messages: [] });
  expect(sold.endedAt).toBe('2026-11-01T09:00:00.000Z');

  const returned = await testJourney(warranty, { entry: car, events: [{ at: '10 days', name: 'product.returned', properties: { productId: 'car-1' } }] });
  expect(returned).toMatchObject({ outcome: 'exited', reason: 'product.returned', messages: [] });
});

test('selling another unit (another productId) does not end this one', async () => {
  const r = await testJourney(warranty, { entry: car, events: [{ at: '30 days', name: 'product.sold', properties: { productId: 'car-0', sku: 'ev-sedan' } }] });
  expect(r.outcome).toBe('completed');
  expect(r.sent).toEqual(['warranty/extension-offer']);
});

test('a customer who already bought the extension is not offered it again (already-owned)', async () => {
  const r = await testJourney(warranty, {
    entry: car,
    events: [{ at: '1 hour', name: 'product.purchased', properties: { productId: 'car-1-ext', sku: 'ev-sedan-warranty-ext' } }],
  });
  expect(r.sent).toEqual([]);
  expect(r.messages[0]).toMatchObject({ template: 'warranty/extension-offer', status: 'suppressed', reason: 'already-owned' });
});

test('products without a warranty, and the extension itself, start nothing (and are not rejections)', async () => {
  expect(await testJourney(warranty, { entry: { productId: 'cable-1', sku: 'usb-c-cable' } })).toMatchObject({ outcome: 'not-entered' });
  expect(await testJourney(warranty, { entry: { ...car, warrantyMonths: 0 } })).toMatchObject({ outcome: 'not-entered' });
  expect(await testJourney(warranty, { entry: { productId: 'car-1-ext', sku: 'ev-sedan-warranty-ext', warrantyMonths: 24 } })).toMatchObject({
    outcome: 'not-entered',
  });
  expect((await testJourney(warranty, { entry: { ...car, purchasedAt: '5 Jan 2026' } })).outcome).toBe('rejected');
});

test('a late purchase event: the offer goes out at once while the warranty still runs, never after it ended', async () => {
  const late = await testJourney(warranty, { entry: { ...car, purchasedAt: '2024-01-20' } });
  expect(late.messages.map((m) => [m.at, m.data.warrantyEnds])).toEqual([['2026-01-05T09:00:00.000Z', '2026-01-20']]);

  const ended = await testJourney(warranty, { entry: { ...car, purchasedAt: '2023-12-01' } });
  expect(ended).toMatchObject({ outcome: 'completed', messages: [] });
  expect(ended.steps.map((s) => s.step)).toEqual(['under-warranty', 'warranty-ended']);
});

test('addMonths keeps the day, clamped to the end of shorter months', () => {
  expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
  expect(addMonths('2027-01-31', 13)).toBe('2028-02-29');
  expect(addMonths('2026-03-15', 36)).toBe('2029-03-15');
  expect(addMonths('2026-11-30', 3)).toBe('2027-02-28');
});
