// The one poller of the tests and the harness: asks `check` again and again until it answers, and fails
// naming what it waited for (and what it saw last) once the time is up. Every wait for something that happens
// asynchronously (a workflow started, a ledger entry, a mail counted, a process ready) goes through it.

export interface EventuallyOptions {
  /** Give up after this long. The check runs once more after the deadline has passed, as the last word. */
  timeoutMs: number;
  /** The pause between checks; default 100 ms. */
  intervalMs?: number;
  /** What the failure message adds: the state last seen ("12/24 mails", the ledger). */
  detail?: () => string;
  /** A check that throws means "not yet" (a workflow not started, a server not listening), and the last error
   *  goes into the failure message. By default an error ends the wait at once (an expect() inside the check). */
  retryErrors?: boolean;
  /** When the time is up, resolve to undefined instead of failing: for a wait that is a chance to take, not a
   *  requirement (the assertions after it decide). */
  optional?: boolean;
}

/** Not yet: undefined, null or false. Anything else (true, a value) is the answer. */
export type Answer<T> = T | undefined | null | false;

/** Polls `check` until it returns something other than undefined, null or false, and returns that. */
export async function eventually<T>(
  what: string,
  check: () => Answer<T> | Promise<Answer<T>>,
  options: EventuallyOptions & { optional: true },
): Promise<T | undefined>;
export async function eventually<T>(what: string, check: () => Answer<T> | Promise<Answer<T>>, options: EventuallyOptions): Promise<T>;
export async function eventually<T>(what: string, check: () => Answer<T> | Promise<Answer<T>>, options: EventuallyOptions): Promise<T | undefined> {
  const { timeoutMs, intervalMs = 100, detail, retryErrors = false, optional = false } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: Error | undefined;
  for (;;) {
    try {
      const answer = await check();
      if (answer !== undefined && answer !== null && answer !== false) return answer;
    } catch (err) {
      if (!retryErrors) throw err;
      lastError = err as Error;
    }
    if (Date.now() > deadline) {
      if (optional) return undefined;
      const seen = [detail?.(), lastError && `last error: ${lastError.message}`].filter(Boolean).join('; ');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen ? `: ${seen}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
