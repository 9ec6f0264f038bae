// A bug in journey code must stop `simulate` at once, not hang it. The workflow task that runs the bug fails,
// Temporal retries it without end (in production that is right: a fixed worker picks it up), and every query
// to that workflow waits for a task that never completes. The worker's log sees the failure the moment it
// happens, with its stack mapped back to the journey's .ts file (worker/taskFailures.ts): this module puts a
// logger on simulate's Runtime that hands each one to the running simulation, which aborts its calls to the
// server and reports it. The clock's query deadlines (simulate/clock.ts) are the fallback when this logger is
// not the Runtime's (a test that installed its own) or the failure never reaches the log (a signal handler).
import { setMaxListeners } from 'node:events';
import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { loggerOf, taskFailureOf, type TaskFailure } from '../worker/taskFailures';

let listener: ((failure: TaskFailure) => void) | undefined;
let installed: boolean | undefined;

/** simulate's Runtime: errors only on the console (no core or gRPC chatter), task failures to the watch.
 *  Once per process; false when another Runtime was there first. */
function installRuntime(): boolean {
  if (installed !== undefined) return installed;
  const inner = new DefaultLogger('ERROR');
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    const failure = taskFailureOf(message, meta);
    if (failure) listener?.(failure);
    inner.log(level, message, meta);
  };
  const logger = loggerOf(log);
  try {
    Runtime.install({ logger, telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
    installed = true;
  } catch {
    installed = false;
  }
  return installed;
}

export interface TaskFailureWatch {
  /** Aborted on the first task failure: calls to the server made under it fail at once. */
  signal: AbortSignal;
  /** The first task failure seen, if any. */
  failure(): TaskFailure | undefined;
  stop(): void;
}

/** Watches the worker's log for a failed workflow task until stop(). Call before the worker is created. */
export function watchTaskFailures(): TaskFailureWatch {
  installRuntime();
  const abort = new AbortController();
  // Every call to the server in flight listens to the signal (the clock makes dozens at a time).
  setMaxListeners(0, abort.signal);
  let first: TaskFailure | undefined;
  const mine = (f: TaskFailure): void => {
    first ??= f;
    abort.abort();
  };
  listener = mine;
  return {
    signal: abort.signal,
    failure: () => first,
    stop: () => {
      if (listener === mine) listener = undefined;
    },
  };
}
