// Deterministic A/B assignment: the same customer, journey and split name always land in the same variant.

/** 32-bit FNV-1a. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function pickVariant<K extends string>(seed: string, weights: Record<K, number>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  const total = entries.reduce((s, [, w]) => s + w, 0);
  if (entries.length === 0 || !(total > 0) || entries.some(([, w]) => !(w >= 0))) {
    throw new Error(`split weights must be non-negative numbers with a positive sum, got ${JSON.stringify(weights)}`);
  }
  let point = (fnv1a(seed) / 0x1_0000_0000) * total;
  for (const [k, w] of entries) {
    if (point < w) return k;
    point -= w;
  }
  return entries[entries.length - 1][0];
}
