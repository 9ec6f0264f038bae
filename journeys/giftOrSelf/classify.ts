// Was this order a gift? Pure rules, unit-tested: clear signals on the order first, then whether the
// items fit the buyer (judged from traits); when they do not, we ask instead of guessing.
import type { Properties } from '../../sdk/events';
import { ageInYears } from '../../sdk/schedule';

export interface OrderItem {
  sku: string;
  name: string;
  category: string;
  price: number;
  audience?: 'kids' | 'teen' | 'adult';
}

export interface Order {
  orderId: string;
  items: OrderItem[];
  giftWrap?: boolean;
  giftMessage?: string;
  shipTo?: { name: string };
  billTo?: { name: string };
}

export type Verdict = { kind: 'gift'; why: string } | { kind: 'self'; why: string } | { kind: 'ask'; why: string };

/** Buyers at least this old buying only kids' or teen items are probably buying for someone else. */
export const ADULT_BUYER_AGE = 25;

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export function buyerAge(traits: Properties, now: Date): number | undefined {
  if (typeof traits.birthDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(traits.birthDate)) return ageInYears(traits.birthDate, now);
  return typeof traits.age === 'number' ? traits.age : undefined;
}

export function classify(order: Order, traits: Properties, now: Date): Verdict {
  if (order.giftWrap) return { kind: 'gift', why: 'gift wrap' };
  if (order.giftMessage?.trim()) return { kind: 'gift', why: 'gift message' };
  if (order.shipTo && order.billTo && !sameName(order.shipTo.name, order.billTo.name)) return { kind: 'gift', why: 'shipped to someone else' };
  const age = buyerAge(traits, now);
  const young = order.items.filter((i) => i.audience === 'kids' || i.audience === 'teen');
  if (age !== undefined && age >= ADULT_BUYER_AGE && young.length === order.items.length) {
    return { kind: 'ask', why: `${young.map((i) => i.audience).join('/')} items bought by a ${age}-year-old` };
  }
  return { kind: 'self', why: 'no gift signal and the items fit the buyer' };
}

/** The buyer's interests after a purchase for themselves: the order's categories added, no duplicates. */
export function withInterests(current: unknown, order: Order): string[] {
  const before = Array.isArray(current) ? current.filter((x): x is string => typeof x === 'string') : [];
  return [...new Set([...before, ...order.items.map((i) => i.category)])];
}
