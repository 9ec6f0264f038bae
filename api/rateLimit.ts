// A token bucket per key: it refills at `perSecond` and holds at most `burst`. The ingest routes key it by
// write key and count events: a request takes as many tokens as it has events, all or nothing (a request
// larger than the bucket passes only when the bucket is full, leaving it in debt); the write keys are
// configured, so their buckets are few. The dashboard's sign-in keys it by client address, which strangers
// choose: `maxKeys` then bounds the buckets, forgetting the one used longest ago.

export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  /** Most buckets kept; past it, the one used longest ago goes (it starts full when it comes back). */
  maxKeys?: number;
  /** Milliseconds; injectable for tests. */
  now?: () => number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly now: () => number;

  constructor(private readonly options: RateLimitOptions) {
    if (!(options.perSecond > 0) || !(options.burst >= 1)) throw new Error('rate limit needs perSecond > 0 and burst >= 1');
    this.now = options.now ?? Date.now;
  }

  /** Takes `cost` tokens from `key`'s bucket, or says how long until they would be there. */
  take(key: string, cost: number): TakeResult {
    const { perSecond, burst } = this.options;
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    // Re-inserted: the map's order is the order of last use.
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.options.maxKeys !== undefined && this.buckets.size > this.options.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    // A request bigger than the bucket passes when the bucket is full, and leaves it in debt.
    if (cost <= b.tokens || (cost > burst && b.tokens >= burst)) {
      b.tokens -= cost;
      return { ok: true };
    }
    const missing = Math.min(cost, burst) - b.tokens;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(missing / perSecond)) };
  }
}
