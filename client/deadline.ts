// Bounds a Temporal client call in time. The gRPC deadline alone is not enough: the client's default retry
// interceptor sleeps between attempts (up to 5 s) past it. So a timer ends the wait at the deadline too, and
// the API's connection uses `deadlineBoundRetry()`, which never schedules an attempt past the call's deadline:
// a request the API already answered with 503 does not keep retrying in the background (nor fire a retry
// into a connection closed at shutdown, which throws from a timer and takes the process down).
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type Client, type ConnectionOptions } from '@temporalio/client';

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

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

/** The client's default retries (same back-off, same retryable codes), cut off at each call's deadline. */
export function deadlineBoundRetry(): Interceptor {
  const defaults = defaultGrpcRetryOptions();
  return (options, nextCall) => {
    const deadline = options.deadline === undefined ? Infinity : new Date(options.deadline).getTime();
    const left = (): number => (Number.isNaN(deadline) ? Infinity : deadline - Date.now());
    return makeGrpcRetryInterceptor({
      retryableDecider: (attempt, status) => left() > 0 && defaults.retryableDecider(attempt, status),
      delayFunction: (attempt, status) => Math.max(0, Math.min(defaults.delayFunction(attempt, status), left())),
    })(options, nextCall);
  };
}
