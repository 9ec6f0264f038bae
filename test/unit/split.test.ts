import { fnv1a, pickVariant } from '../../sdk/split';

const seeds = (n: number) => Array.from({ length: n }, (_, i) => `customer-${i}:welcome:subject`);

function shares<K extends string>(weights: Record<K, number>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const seed of seeds(10_000)) {
    const v = pickVariant(seed, weights);
    counts[v] = (counts[v] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, c]) => [k, c / 10_000]));
}

test('fnv1a matches the published FNV-1a 32-bit vectors (changing it would reshuffle live customers)', () => {
  expect(fnv1a('')).toBe(0x811c9dc5);
  expect(fnv1a('a')).toBe(0xe40c292c);
  expect(fnv1a('foobar')).toBe(0xbf9cf968);
});

test('the same seed always lands in the same variant, and different seeds spread out', () => {
  const first = seeds(200).map((s) => pickVariant(s, { a: 50, b: 50 }));
  const again = seeds(200).map((s) => pickVariant(s, { a: 50, b: 50 }));
  expect(again).toEqual(first);
  expect(new Set(first)).toEqual(new Set(['a', 'b']));
});

test('20/80 lands within 2 points of 20% / 80% over 10,000 customers', () => {
  const s = shares({ control: 20, treatment: 80 });
  expect(Math.abs(s.control - 0.2)).toBeLessThan(0.02);
  expect(Math.abs(s.treatment - 0.8)).toBeLessThan(0.02);
});

test('three variants 50/30/20 within 2 points each', () => {
  const s = shares({ a: 5, b: 3, c: 2 });
  expect(Math.abs(s.a - 0.5)).toBeLessThan(0.02);
  expect(Math.abs(s.b - 0.3)).toBeLessThan(0.02);
  expect(Math.abs(s.c - 0.2)).toBeLessThan(0.02);
});

test('a zero-weight variant is never chosen', () => {
  expect(Object.keys(shares({ off: 0, on: 1 }))).toEqual(['on']);
});

test.each([{}, { a: 0, b: 0 }, { a: -1, b: 2 }, { a: Number.NaN, b: 1 }])('rejects weights %p', (weights) => {
  expect(() => pickVariant('customer-1', weights as Record<string, number>)).toThrow(
    `split weights must be non-negative numbers with a positive sum, got ${JSON.stringify(weights)}`,
  );
});
