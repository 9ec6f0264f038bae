// Replenishment: a "running low?" email with a subscribe-and-save offer when about 80% of a consumable's
// supply is used up (quantity × days × 0.8 after the order), one reminder per consumable SKU.
//
// Design: one run per ORDER (keyed by orderId), not per SKU. The engine starts at most one run per
// journey per event, and one order can hold several consumables (coffee beans and water filters), so
// a run keyed by SKU could only ever cover one of them. Each run keeps its own list of consumables,
// ordered by due date, and walks it in a single loop (the SDK verbs are sequential, so one waitFor
// covers every SKU still pending):
//
//   - It waits for the next due date with `waitFor('order.completed', …)` matching a NEWER order
//     (another orderId) that contains one of the SKUs still pending here as a consumable. Such an
//     order restarts that SKU's clock: its own run schedules the reminder from its own date and
//     quantity, and this run drops the SKU (no reminder for the superseded order) and keeps waiting
//     for the others. Only consumable lines count, so a SKU is always tracked by exactly one run.
//   - At the due date it sends the reminder for that SKU and moves on to the next one.
//
// `subscription.started {sku}` for a SKU still pending here drops that SKU: a subscriber is never told to
// "subscribe and save". The same wait watches both event names, so the order's other consumables still
// get their reminders, and the run ends when nothing is left.
//
// Orders with no consumable items start nothing (trigger.when). An order.completed without `items`
// (some systems send only orderId and cartId) is accepted as an empty order, not recorded as a
// rejection. The reminder declares no `offers`: a consumable is bought again and again, so the
// already-owned rule must not apply to it.
import { z } from 'zod';
import type { JourneyEvent } from '../sdk/events';
import { defineJourney } from '../sdk/journey';
import { localDate, longDate } from './dates';

const DAY = 86_400_000;
/** Share of the supply used up when the reminder goes out. */
export const REMIND_AT = 0.8;
/** The subscribe-and-save discount the reminder offers. */
export const SUBSCRIBE_AND_SAVE_PERCENT = 15;

const Item = z.object({
  sku: z.string().min(1),
  name: z.string().min(1),
  category: z.string().optional(),
  price: z.number().nonnegative(),
  quantity: z.number().int().positive().default(1),
  /** How long one unit lasts. */
  consumable: z.object({ days: z.number().positive() }).optional(),
});

export const OrderCompleted = z.object({
  orderId: z.string().min(1),
  items: z.array(Item).default([]),
});
export type OrderCompleted = z.infer<typeof OrderCompleted>;

export interface Consumable {
  sku: string;
  name: string;
  price: number;
  quantity: number;
  /** Days one unit lasts. */
  days: number;
  /** Days the whole quantity lasts. */
  supplyDays: number;
  /** When the reminder is due (ms since the epoch). */
  due: number;
}

/** The price per delivery with subscribe-and-save (rounded to cents). */
export const subscribePrice = (price: number): number => Math.round(price * (100 - SUBSCRIBE_AND_SAVE_PERCENT)) / 100;

/** The order's consumables, one per SKU (quantities of repeated lines add up), by due date. */
export function consumablesOf(order: OrderCompleted, orderedAt: number): Consumable[] {
  const bySku = new Map<string, Consumable>();
  for (const item of order.items) {
    if (!item.consumable) continue;
    const seen = bySku.get(item.sku);
    const quantity = (seen?.quantity ?? 0) + item.quantity;
    const days = seen?.days ?? item.consumable.days;
    bySku.set(item.sku, { sku: item.sku, name: item.name, price: item.price, quantity, days, supplyDays: quantity * days, due: 0 });
  }
  return [...bySku.values()]
    .map((c) => ({ ...c, due: orderedAt + Math.round(c.supplyDays * REMIND_AT * DAY) }))
    .sort((a, b) => a.due - b.due || a.sku.localeCompare(b.sku));
}

/** The consumable SKUs of another order.completed event (none when it does not parse). */
function consumableSkus(event: JourneyEvent): string[] {
  const parsed = OrderCompleted.safeParse(event.properties);
  return parsed.success ? parsed.data.items.filter((i) => i.consumable).map((i) => i.sku) : [];
}

export default defineJourney({
  name: 'replenishment',
  version: 1,
  description: 'Running-low reminder with subscribe-and-save at 80% of each consumable supply; a newer order of the SKU restarts its clock',
  trigger: {
    event: 'order.completed',
    schema: OrderCompleted,
    key: (p) => p.orderId,
    when: (p) => p.items.some((i) => i.consumable !== undefined),
  },
  // An order completes once; a re-sent event for the same order must not schedule a second reminder.
  reentry: 'never',
  waits: ['order.completed', 'subscription.started'],
  async run(j) {
    const order = j.entry.properties;
    const orderedOn = localDate(j.entry.receivedAt, j.timezone());
    let pending = consumablesOf(order, Date.parse(j.entry.receivedAt));

    while (pending.length > 0) {
      const next = pending[0];
      const wait = next.due - j.now().getTime();
      if (wait > 0) {
        j.step('supply-running-down');
        const skus = new Set(pending.map((c) => c.sku));
        const newer = await j.waitFor(['order.completed', 'subscription.started'], {
          within: wait,
          match: (e) =>
            e.name === 'subscription.started'
              ? typeof e.properties.sku === 'string' && skus.has(e.properties.sku)
              : e.properties.orderId !== order.orderId && consumableSkus(e).some((s) => skus.has(s)),
        });
        if (newer?.name === 'subscription.started') {
          // Subscribed: no "subscribe and save" for this SKU; the others carry on.
          j.step(`subscribed:${String(newer.properties.sku)}`);
          pending = pending.filter((c) => c.sku !== newer.properties.sku);
          continue;
        }
        if (newer) {
          // Restocked: the newer order's run owns these SKUs now.
          const restocked = new Set(consumableSkus(newer));
          for (const c of pending.filter((p) => restocked.has(p.sku))) j.step(`restocked:${c.sku}`);
          pending = pending.filter((c) => !restocked.has(c.sku));
          continue;
        }
      }
      pending = pending.slice(1);
      j.step(`reminder:${next.sku}`);
      await j.send('email', 'replenishment/reminder', {
        orderId: order.orderId,
        orderedOn,
        orderedOnText: longDate(orderedOn),
        sku: next.sku,
        name: next.name,
        price: next.price,
        quantity: next.quantity,
        supplyDays: next.supplyDays,
        daysLeft: Math.round(next.supplyDays * (1 - REMIND_AT)),
        priceText: next.price.toFixed(2),
        subscribeAndSave: { percentOff: SUBSCRIBE_AND_SAVE_PERCENT, priceText: subscribePrice(next.price).toFixed(2) },
      });
    }
  },
});
