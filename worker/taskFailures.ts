// A bug in journey code (a TypeError, a computed duration toMs cannot read, a `when` that throws) does not fail
// the run: it fails the workflow *task*, and Temporal retries the task until a worker with a fix is deployed,
// which is what production wants. The SDK logs each attempt as a "Workflow failed" warning with the error
// (its stack source-mapped to the journey's .ts file); the worker turns the first one of each run into one
// line that names the journey and the file and line, and drops the repeats. `simulate` stops on the same entry.
import { relative, sep } from 'node:path';
import { TemporalFailure, type Logger, type LogLevel, type LogMetadata } from '@temporalio/common';

export interface TaskFailure {
  workflowId: string;
  runId?: string;
  workflowType?: string;
  /** The journey, for a journey workflow (the second part of its ID). */
  journey?: string;
  message: string;
  /** Where it was thrown, relative to the working directory: the first frame in a journey file
   *  (`journeys/winBack.ts:24:5`), or else the first frame outside node_modules. */
  location?: string;
  /** The stack's frames, paths relative to the working directory. */
  frames: string[];
}

/** The SDK's log entry for a workflow whose code threw (workflow/src/logs.ts executeWithLifecycleLogging). */
const WORKFLOW_FAILED = 'Workflow failed';

/** The failures that fail a run for good (@temporalio/common's TemporalFailure and its subclasses). */
const TEMPORAL_FAILURE = /^(Temporal|Application|Activity|ChildWorkflow|Cancelled|Terminated|Timeout|Server|NexusOperation)Failure$/;

/** The error's class name. The logged error is a copy made across the sandbox's boundary: its prototype is
 *  gone, but its stack still starts with `<name>: <message>` (after Node's source-line-and-caret prefix). */
function errorName(error: { name?: unknown; stack?: unknown }): string {
  if (typeof error.name === 'string' && error.name !== 'Error') return error.name;
  return (typeof error.stack === 'string' && /^([A-Za-z_$][\w$]*): /m.exec(error.stack)?.[1]) || 'Error';
}

/** The task failure in a worker log entry, or undefined when the entry is anything else. A Temporal failure
 *  (ApplicationFailure: UnknownJourney, InvalidAddress …) fails the run for good and is not a task failure. */
export function taskFailureOf(message: string, meta: LogMetadata | undefined, cwd = process.cwd()): TaskFailure | undefined {
  const error = meta?.error as { message?: unknown; stack?: unknown } | null | undefined;
  // Duck-typed: the error was made in the workflow sandbox's realm (and a test runner adds another).
  if (message !== WORKFLOW_FAILED || typeof meta?.workflowId !== 'string' || typeof error?.message !== 'string') return undefined;
  if (error instanceof TemporalFailure || TEMPORAL_FAILURE.test(errorName(error))) return undefined;
  const workflowId: string = meta.workflowId;
  const frames = framesOf(typeof error.stack === 'string' ? error.stack : '', cwd);
  const path = (frame: string) => /\(?([^\s()]+):\d+:\d+\)?$/.exec(frame)?.[1] ?? '';
  const inJourney = frames.find((f) => /(^|[\\/])journeys[\\/]/.test(path(f)) && !path(f).includes('node_modules'));
  const outsideDeps = frames.find((f) => path(f) !== '' && !path(f).includes('node_modules'));
  const location = /([^\s()]+:\d+:\d+)\)?$/.exec(inJourney ?? outsideDeps ?? '')?.[1];
  return {
    workflowId,
    runId: typeof meta.runId === 'string' ? meta.runId : undefined,
    workflowType: typeof meta.workflowType === 'string' ? meta.workflowType : undefined,
    journey: workflowId.startsWith('journey:') ? workflowId.split(':')[1] : undefined,
    message: error.message,
    location,
    frames,
  };
}

/** The `at …` lines of a stack, with absolute paths under `cwd` made relative. */
function framesOf(stack: string, cwd: string): string[] {
  const root = cwd.endsWith(sep) ? cwd : cwd + sep;
  return stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .map((l) => l.trim().replace(/(\(|\s)(\/[^\s():]+)(?=:\d+:\d+)/, (_m, pre: string, p: string) => pre + (p.startsWith(root) ? relative(cwd, p) : p)));
}

/** One line for people: which journey (or the customer workflow), where, and what. */
export function describeTaskFailure(f: TaskFailure): string {
  const where = f.location ? ` at ${f.location}` : '';
  if (f.journey) return `journey "${f.journey}" threw${where}: ${f.message}`;
  return `the customer workflow ${f.workflowId} threw${where}, in journey code it runs to route an event (a trigger's when or key): ${f.message}`;
}

/** At most this many runs are remembered as logged (a worker that lives for months forgets the oldest). */
const REMEMBERED_RUNS = 10_000;

/**
 * The worker's logger: the first task failure of each run becomes one ERROR line naming the journey, the file
 * and line, and the workflow; the SDK's repeats on every retry of that task are dropped. Everything else goes
 * to `inner` unchanged.
 */
export function oncePerRunTaskFailureLogger(inner: Logger): Logger {
  const logged = new Set<string>();
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    const failure = taskFailureOf(message, meta);
    if (!failure) return void inner.log(level, message, meta);
    const run = `${failure.workflowId}/${failure.runId ?? ''}`;
    if (logged.has(run)) return;
    logged.add(run);
    if (logged.size > REMEMBERED_RUNS) logged.delete(logged.values().next().value as string);
    inner.error(
      `${describeTaskFailure(failure)}. Its workflow task fails and Temporal retries it until a worker with a fix is deployed (logged once per run)`,
      { workflowId: failure.workflowId, runId: failure.runId, journey: failure.journey, location: failure.location, stack: failure.frames.join('\n') },
    );
  };
  return loggerOf(log);
}

/** A Logger whose every level goes through `log` (the worker's and simulate's filtering loggers). */
export function loggerOf(log: Logger['log']): Logger {
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}
