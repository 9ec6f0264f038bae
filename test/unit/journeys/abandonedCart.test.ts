// The abandoned-cart journey's decisions, on the in-memory driver (testkit/testJourney.ts).
import abandonedCart from '../../../journeys/abandonedCart';
import { testJourney } from '../../../testkit/testJourney';

const cart = { cartId: 'A', items: [{ sku: 's-1', name: 'Trail shoes', price: 89 }], value: 89 };

test('an abandoned cart gets an email after 1 hour and an SMS-or-email after 24 hours', async () => {
  const r = await testJourney(abandonedCart, { entry: cart });
  expect(r.messages.map((m) => [m.at, m.channels.join('>'), m.template])).toEqual([
    ['2026-01-05T10:00:00.000Z', 'email', 'abandoned-cart/reminder-1'],
    ['2026-01-06T09:00:00.000Z', 'sms>email', 'abandoned-cart/reminder-2'],
  ]);
  expect(r.messages[0].data).toMatchObject({ cartId: 'A', value: 89, items: [{ name: 'Trail shoes', quantity: 1 }] });
});

test('buying this cart ends the journey at once; buying another cart does not', async () => {
  const bought = await testJourney(abandonedCart, { entry: cart, events: [{ at: '3h', name: 'order.completed', properties: { cartId: 'A' } }] });
  expect(bought).toMatchObject({ outcome: 'exited', reason: 'order.completed', sent: ['abandoned-cart/reminder-1'] });

  const other = await testJourney(abandonedCart, { entry: cart, events: [{ at: '3h', name: 'order.completed', properties: { cartId: 'Z' } }] });
  expect(other.outcome).toBe('completed');
  expect(other.sent).toHaveLength(2);
});

test('one journey per cart: the entity key is the cart id', async () => {
  const r = await testJourney(abandonedCart, { entry: { ...cart, cartId: 'cart-77' } });
  expect(r.key).toBe('cart-77');
  expect(r.steps.map((s) => s.step)).toEqual(['wait-1h', 'reminder-1', 'wait-24h', 'reminder-2']);
});

test('an empty cart is rejected by the schema', async () => {
  const r = await testJourney(abandonedCart, { entry: { ...cart, items: [] } });
  expect(r).toMatchObject({ outcome: 'rejected', messages: [] });
  expect(r.reason).toMatch(/^properties\.items: /);
});
