// Bounds a Temporal client call in time. The gRPC deadline alone is not enough: the client's retry
// interceptor sleeps between attempts (up to 5 s) past it. So a timer ends the wait at the deadline too.
import type { Client } from '@temporalio/client';

export class DeadlineError extends Error {
  constructor() {
    super('deadline exceeded');
  }
}

export function withDeadline<T>(client: Client, deadline: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([client.withDeadline(deadline, fn), timeout]).finally(() => clearTimeout(timer));
}
