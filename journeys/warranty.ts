// Warranty: one run per product unit (keyed by productId). 30 days before the manufacturer's warranty
// ends, at 09:00 in the customer's timezone, an offer to extend it — only while the customer still owns
// the product: `product.sold` or `product.returned` of that productId ends the run at once, so nobody is
// offered a warranty for a car they sold last spring.
//
// The extension is a product of its own, SKU `<sku>-warranty-ext`, and the offer declares it
// (`offers`). A customer who already bought the extension (at checkout, say: a `product.purchased` of
// that SKU) owns it, so the delivery pipeline suppresses the offer with reason `already-owned` and the
// ledger says why. (Ownership is per SKU: two units of the same model share one extension SKU.)
//
// Purchases without a warranty (accessories, consumables, the extension itself) are normal traffic:
// `warrantyMonths` is optional in the schema and the entry condition skips them, so they start nothing
// and are not recorded as rejections. The warranty runs from `purchasedAt` (YYYY-MM-DD), or from the
// day the event arrived in the customer's timezone. When the offer moment has already passed (a late
// or back-filled purchase) the offer goes out at once if the warranty is still running, and never
// after it has ended.
import { z } from 'zod';
import { defineJourney } from '../sdk/journey';
import { resolveWakeTime } from '../sdk/schedule';
import { localDate, longDate } from './dates';

/** The SKU of the extended warranty for a product SKU. */
export const extensionSku = (sku: string): string => `${sku}-warranty-ext`;
export const OFFER_BEFORE = '-30 days';
export const OFFER_TIME = '09:00';

const ymd = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

export const ProductPurchased = z.object({
  productId: z.union([z.string().min(1), z.number()]).transform(String),
  sku: z.string().min(1),
  name: z.string().min(1).optional(),
  /** Manufacturer's warranty; absent or 0 for products without one. */
  warrantyMonths: z.number().int().nonnegative().optional(),
  purchasedAt: ymd.optional(),
});

/** The YYYY-MM-DD date `months` after a YYYY-MM-DD date (clamped to the month's end: Jan 31 + 1 → Feb 28). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return `${first.getUTCFullYear()}-${String(first.getUTCMonth() + 1).padStart(2, '0')}-${String(Math.min(d, lastDay)).padStart(2, '0')}`;
}

const sameProduct = (e: { properties: Record<string, unknown> }, entry: { properties: { productId: string } }) =>
  e.properties.productId !== undefined && String(e.properties.productId) === entry.properties.productId;

export default defineJourney({
  name: 'warranty',
  version: 1,
  description: 'Warranty-extension offer 30 days before the warranty ends, only while the product is still owned',
  trigger: {
    event: 'product.purchased',
    schema: ProductPurchased,
    key: (p) => p.productId,
    when: (p) => (p.warrantyMonths ?? 0) > 0 && !p.sku.endsWith('-warranty-ext'),
  },
  reentry: 'never',
  exitOn: [
    { event: 'product.sold', match: sameProduct },
    { event: 'product.returned', match: sameProduct },
  ],
  waits: [],
  async run(j) {
    const { productId, sku, name, warrantyMonths = 0 } = j.entry.properties;
    const purchasedAt = j.entry.properties.purchasedAt ?? localDate(j.entry.receivedAt, j.timezone());
    const warrantyEnds = addMonths(purchasedAt, warrantyMonths);

    j.step('under-warranty');
    const waited = await j.sleepUntil(warrantyEnds, { offset: OFFER_BEFORE, localTime: OFFER_TIME });
    if (!waited && j.now() >= resolveWakeTime(warrantyEnds, {}, j.timezone())) {
      j.step('warranty-ended');
      return;
    }

    j.step('extension-offer');
    const ext = extensionSku(sku);
    await j.send(
      'email',
      'warranty/extension-offer',
      {
        productId,
        sku,
        name: name ?? sku,
        purchasedAt,
        purchasedAtText: longDate(purchasedAt),
        warrantyMonths,
        warrantyEnds,
        warrantyEndsText: longDate(warrantyEnds),
        extensionSku: ext,
      },
      { offers: ext },
    );
  },
});
