// The per-write-key token bucket, on a fake clock.
import { TokenBuckets } from '../../api/rateLimit';

function buckets(perSecond: number, burst: number) {
  let now = 1_000_000;
  const b = new TokenBuckets({ perSecond, burst, now: () => now });
  return { b, advance: (ms: number) => void (now += ms) };
}

test('a full bucket allows a burst, then refills at the rate', () => {
  const { b, advance } = buckets(10, 20);
  expect(b.take('k', 20)).toEqual({ ok: true });
  expect(b.take('k', 1)).toEqual({ ok: false, retryAfterSeconds: 1 });
  advance(500); // +5 tokens
  expect(b.take('k', 5)).toEqual({ ok: true });
  expect(b.take('k', 1).ok).toBe(false);
  advance(60_000); // never more than the burst
  expect(b.take('k', 20).ok).toBe(true);
  expect(b.take('k', 1).ok).toBe(false);
});

test('a refused request takes nothing, and Retry-After says when it would pass', () => {
  const { b, advance } = buckets(2, 10);
  expect(b.take('k', 9).ok).toBe(true);
  expect(b.take('k', 7)).toEqual({ ok: false, retryAfterSeconds: 3 }); // 1 left, 6 missing at 2/s
  advance(3000);
  expect(b.take('k', 7).ok).toBe(true);
});

test('keys have their own buckets', () => {
  const { b } = buckets(1, 3);
  expect(b.take('a', 3).ok).toBe(true);
  expect(b.take('a', 1).ok).toBe(false);
  expect(b.take('b', 3).ok).toBe(true);
});

test('a request larger than the bucket passes only from a full bucket, and leaves it in debt', () => {
  const { b, advance } = buckets(10, 50);
  expect(b.take('k', 1).ok).toBe(true);
  expect(b.take('k', 100)).toEqual({ ok: false, retryAfterSeconds: 1 });
  advance(100);
  expect(b.take('k', 100).ok).toBe(true);
  expect(b.take('k', 1)).toEqual({ ok: false, retryAfterSeconds: 6 }); // 50 tokens in debt
});

test('nonsense settings are refused', () => {
  expect(() => new TokenBuckets({ perSecond: 0, burst: 10 })).toThrow();
  expect(() => new TokenBuckets({ perSecond: 1, burst: 0 })).toThrow();
});

test('with maxKeys, the bucket used longest ago is forgotten (and starts full again), the others keep their debt', () => {
  let now = 0;
  const b = new TokenBuckets({ perSecond: 1, burst: 1, maxKeys: 2, now: () => now });
  expect(b.take('a', 1).ok).toBe(true);
  expect(b.take('b', 1).ok).toBe(true);
  expect(b.take('a', 1).ok).toBe(false); // a is empty, and now the most recently used
  expect(b.take('c', 1).ok).toBe(true); // a third key: b, used longest ago, goes
  expect(b.take('a', 1).ok).toBe(false); // a kept its state
  expect(b.take('b', 1).ok).toBe(true); // b starts full again (and pushes out c)
  expect(b.take('c', 1).ok).toBe(true);
});
