// Abandoned cart: one run per cart. An email reminder after an hour, an SMS (email if the customer has
// no SMS consent or number) after a day; buying that cart ends it at once.
import { z } from 'zod';
import { defineJourney } from '../sdk/journey';

export const CheckoutStarted = z.object({
  cartId: z.string().min(1),
  items: z.array(z.object({ sku: z.string(), name: z.string(), price: z.number().nonnegative(), quantity: z.number().int().positive().default(1) })).min(1),
  value: z.number().nonnegative(),
});

export default defineJourney({
  name: 'abandoned-cart',
  version: 1,
  description: 'Email after 1 h, SMS (or email) after 24 h, until the cart is bought',
  trigger: { event: 'checkout.started', schema: CheckoutStarted, key: (p) => p.cartId },
  reentry: 'one-at-a-time',
  exitOn: [{ event: 'order.completed', match: 'cartId' }],
  waits: [],
  async run(j) {
    const cart = j.entry.properties;
    const data = { cartId: cart.cartId, items: cart.items, value: cart.value };
    await j.sleep('1 hour', { step: 'wait-1h' });
    await j.send('email', 'abandoned-cart/reminder-1', data, { step: 'reminder-1' });
    await j.sleep('23 hours', { step: 'wait-24h' });
    await j.send(['sms', 'email'], 'abandoned-cart/reminder-2', data, { step: 'reminder-2' });
  },
});
