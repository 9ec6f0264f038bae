// Hands a request's events to Temporal (client/events.ts sendEvents: signal-with-start) and resolves only
// when Temporal has every one of them. A customer's events go in order, in one signal; customers go in
// parallel, a few at a time. The whole request has one deadline: past it, or when Temporal is
// unreachable, it fails with 503 and the request's messageIds, so that the client retries with the same
// ones (the customer workflow counts a repeated messageId once).
import type { Client } from '@temporalio/client';
import { isGrpcServiceError } from '@temporalio/client';
import { sendEvents as defaultSendEvents } from '../client/events';
import type { CustomerEvent } from '../sdk/events';
import type { EngineConfig } from '../domain/engineConfig';
import { DeadlineError, withDeadline } from '../client/deadline';
import { ApiError } from './errors';

export interface DeliverOptions {
  client: Client;
  taskQueue: string;
  engine?: Partial<EngineConfig>;
  /** Deadline of a whole request, in ms. */
  timeoutMs: number;
  /** Customers sent to in parallel per request. */
  concurrency?: number;
  /** Seconds for the Retry-After header of a 503. */
  retryAfterSeconds?: number;
  sendEvents?: typeof defaultSendEvents;
}

export type Deliver = ((events: CustomerEvent[]) => Promise<void>) & {
  /** Waits (at most `maxMs`) for Temporal calls still running after their request answered 503, so a
   *  shutdown does not close the connection under them. */
  drain(maxMs: number): Promise<void>;
};

/** gRPC status codes (stable, from the gRPC spec) that mean "not now" rather than "never": retry. */
const TRANSIENT = new Set<number>([
  1, // CANCELLED
  2, // UNKNOWN
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  10, // ABORTED
  13, // INTERNAL
  14, // UNAVAILABLE
]);

/** The gRPC status code anywhere in the cause chain (the client wraps gRPC errors in ServiceError). */
export function grpcCode(err: unknown): number | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}

export function isTransient(err: unknown): boolean {
  if (err instanceof DeadlineError) return true;
  const code = grpcCode(err);
  return code !== undefined && TRANSIENT.has(code);
}

/** Groups by customer, keeping each customer's events in request order. */
export function byCustomer(events: CustomerEvent[]): CustomerEvent[][] {
  const groups = new Map<string, CustomerEvent[]>();
  for (const e of events) {
    const g = groups.get(e.customerId);
    if (g) g.push(e);
    else groups.set(e.customerId, [e]);
  }
  return [...groups.values()];
}

export function createDeliver(options: DeliverOptions): Deliver {
  const send = options.sendEvents ?? defaultSendEvents;
  const concurrency = options.concurrency ?? 8;
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  const sendOptions = { taskQueue: options.taskQueue, engine: options.engine };

  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
    return p;
  };
  const deliver = async (events: CustomerEvent[]): Promise<void> => {
    const deadline = Date.now() + options.timeoutMs;
    const groups = byCustomer(events);
    let next = 0;
    let failure: unknown;
    const lane = async (): Promise<void> => {
      while (failure === undefined && next < groups.length) {
        const group = groups[next++];
        if (Date.now() >= deadline) throw new DeadlineError();
        await withDeadline(options.client, deadline, () => track(send(options.client, group, sendOptions)));
      }
    };
    const lanes = Array.from({ length: Math.min(concurrency, groups.length) }, () =>
      lane().catch((err: unknown) => {
        failure ??= err;
      }),
    );
    await Promise.all(lanes);
    if (failure === undefined) return;
    const messageIds = events.map((e) => e.messageId);
    if (isTransient(failure)) {
      throw new ApiError(
        503,
        'temporal_unavailable',
        `Temporal is unreachable or did not confirm the event(s) within ${options.timeoutMs} ms (${(failure as Error).message}); nothing is acknowledged, retry with the same messageIds`,
        [],
        { 'retry-after': retryAfter },
        { messageIds },
      );
    }
    throw Object.assign(
      new ApiError(500, 'internal_error', `Temporal rejected the event(s): ${(failure as Error).message}; nothing is acknowledged`, [], {}, { messageIds }),
      {
        cause: failure,
      },
    );
  };
  return Object.assign(deliver, {
    async drain(maxMs: number) {
      const cap = new Promise<void>((r) => setTimeout(r, maxMs).unref());
      await Promise.race([Promise.all([...inFlight]), cap]);
    },
  });
}
