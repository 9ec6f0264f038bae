// How a request's events reach Temporal: per-customer order, a bound on parallelism, one deadline, and
// failures that acknowledge nothing (503 when worth retrying, with the messageIds to retry with).
import type { Client } from '@temporalio/client';
import { byCustomer, createDeliver, grpcCode, isTransient } from '../../api/deliver';
import type { ApiError } from '../../api/errors';
import type { CustomerEvent } from '../../sdk/events';

const ev = (customerId: string, messageId: string): CustomerEvent => ({
  messageId,
  customerId,
  type: 'track',
  name: 'x',
  properties: {},
  traits: {},
  context: {},
});
// withDeadline is the only Client method the delivery uses itself; sendEvents is replaced.
const client = { withDeadline: (_d: number, fn: () => Promise<unknown>) => fn() } as unknown as Client;
const grpcError = (code: number) => Object.assign(new Error(`${code} grpc`), { code, details: '', metadata: {} });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('byCustomer keeps each customer in request order', () => {
  const groups = byCustomer([ev('a', '1'), ev('b', '2'), ev('a', '3'), ev('c', '4'), ev('b', '5')]);
  expect(groups.map((g) => g.map((e) => e.messageId))).toEqual([['1', '3'], ['2', '5'], ['4']]);
});

test("one customer's events go in one call, in request order; customers in parallel, at most `concurrency` at once", async () => {
  const calls: string[][] = [];
  let active = 0;
  let maxActive = 0;
  const deliver = createDeliver({
    client,
    taskQueue: 'q',
    timeoutMs: 5000,
    concurrency: 2,
    sendEvents: async (_c, events) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      calls.push(events.map((e) => e.messageId));
      await sleep(20);
      active -= 1;
      return `customer:${events[0].customerId}`;
    },
  });
  await deliver([ev('a', 'a1'), ev('b', 'b1'), ev('a', 'a2'), ev('c', 'c1'), ev('a', 'a3')]);
  expect(maxActive).toBe(2);
  expect(calls).toEqual([['a1', 'a2', 'a3'], ['b1'], ['c1']]);
});

test('Temporal unreachable → 503 with Retry-After and every messageId of the request; later customers are not sent', async () => {
  const sent: string[][] = [];
  const deliver = createDeliver({
    client,
    taskQueue: 'q',
    timeoutMs: 5000,
    concurrency: 1,
    sendEvents: async (_c, events) => {
      sent.push(events.map((e) => e.messageId));
      if (events[0].customerId === 'b') throw Object.assign(new Error('Failed to signalWithStart'), { cause: grpcError(14) });
      return 'x';
    },
  });
  const err = (await deliver([ev('a', 'a1'), ev('b', 'b1'), ev('a', 'a2'), ev('c', 'c1')]).catch((e: unknown) => e)) as ApiError;
  expect(err.status).toBe(503);
  expect(err.headers['retry-after']).toBe('5');
  expect(err.body()).toMatchObject({ error: 'temporal_unavailable', messageIds: ['a1', 'b1', 'a2', 'c1'] });
  expect(sent).toEqual([['a1', 'a2'], ['b1']]);
});

test('a hanging call ends at the deadline with 503, not a hang', async () => {
  const deliver = createDeliver({ client, taskQueue: 'q', timeoutMs: 200, sendEvents: () => new Promise<string>(() => undefined) });
  const started = Date.now();
  const err = (await deliver([ev('a', 'a1')]).catch((e: unknown) => e)) as ApiError;
  expect(err.status).toBe(503);
  expect(Date.now() - started).toBeLessThan(1000);
});

test('a permanent rejection (e.g. unknown namespace) is a 500 that acknowledges nothing', async () => {
  const deliver = createDeliver({
    client,
    taskQueue: 'q',
    timeoutMs: 1000,
    sendEvents: async () => Promise.reject(Object.assign(new Error('no namespace'), { cause: grpcError(5) })),
  });
  const err = (await deliver([ev('a', 'a1')]).catch((e: unknown) => e)) as ApiError;
  expect(err.status).toBe(500);
  expect(err.body()).toMatchObject({ error: 'internal_error', messageIds: ['a1'] });
});

test('grpc codes are found through the cause chain', () => {
  expect(grpcCode(new Error('x', { cause: new Error('y', { cause: grpcError(4) }) }))).toBe(4);
  expect(isTransient(grpcError(14))).toBe(true);
  expect(isTransient(grpcError(7))).toBe(false); // PERMISSION_DENIED
  expect(isTransient(new Error('plain'))).toBe(false);
});
