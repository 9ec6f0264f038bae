// The worker's log when journey code throws (worker/taskFailures.ts): the SDK's "Workflow failed" warning,
// repeated on every retry of the task, becomes one ERROR line per run that names the journey and the file and
// line; a run that fails for good (an ApplicationFailure) and every other entry pass through unchanged.
import { ApplicationFailure, type Logger, type LogLevel, type LogMetadata } from '@temporalio/common';
import { oncePerRunTaskFailureLogger, taskFailureOf } from '../../worker/taskFailures';

const cwd = '/srv/omnijourney';

/** The error as the SDK logs it: Node's arrow prefix, then a stack mapped back to the .ts sources. */
function sandboxError(message: string): Error {
  const err = new Error(message);
  err.stack = [
    `${cwd}/workflow-bundle-5ccdef0d91bce49ca67c.js:6627`,
    '            throw this.workflowTaskError;',
    '            ^',
    '',
    `Error: ${message}`,
    `    at toMs (${cwd}/sdk/duration.ts:71:32)`,
    `    at duration (${cwd}/domain/journeyContext.ts:185:22)`,
    `    at sleep (${cwd}/journeys/winBack.ts:31:13)`,
    `    at CancellationScope.runInContext (${cwd}/node_modules/@temporalio/workflow/src/cancellation-scope.ts:207:19)`,
  ].join('\n');
  return err;
}

const meta = (error: unknown, runId = 'run-1') => ({
  sdkComponent: 'worker',
  workflowId: 'journey:win-back:c7',
  runId,
  workflowType: 'journeyWorkflow',
  error,
});

test('a "Workflow failed" entry with an error of journey code is a task failure: journey, file and line', () => {
  const f = taskFailureOf('Workflow failed', meta(sandboxError('invalid duration "14 dayz"')), cwd);
  expect(f).toMatchObject({
    workflowId: 'journey:win-back:c7',
    journey: 'win-back',
    message: 'invalid duration "14 dayz"',
    location: 'journeys/winBack.ts:31:13',
  });
  expect(f?.frames[0]).toBe('at toMs (sdk/duration.ts:71:32)');
});

test('a run that fails for good, and any other entry, is not', () => {
  expect(taskFailureOf('Workflow failed', meta(ApplicationFailure.nonRetryable('unknown journey', 'UnknownJourney')), cwd)).toBeUndefined();
  // As the worker logs it: a copy from the sandbox, with only its stack to say it was an ApplicationFailure.
  const copy = Object.assign(new Error('traits.email: expected exactly one email address'), {
    stack: `ApplicationFailure: traits.email: expected exactly one email address\n    at Function.nonRetryable (${cwd}/node_modules/@temporalio/common/src/failure.ts:1:1)`,
  });
  expect(taskFailureOf('Workflow failed', meta(copy), cwd)).toBeUndefined();
  expect(taskFailureOf('Workflow completed', meta(undefined), cwd)).toBeUndefined();
});

test('the worker logs the first failure of each run once, naming the journey and where, and passes the rest on', () => {
  const lines: Array<[LogLevel, string, LogMetadata | undefined]> = [];
  const at = (level: LogLevel) => (m: string, meta?: LogMetadata) => void lines.push([level, m, meta]);
  const inner: Logger = {
    log: (level, m, meta) => at(level)(m, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
  const logger = oncePerRunTaskFailureLogger(inner);
  const error = sandboxError('invalid duration "14 dayz"');
  error.stack = error.stack?.replaceAll(cwd, process.cwd());
  for (let attempt = 0; attempt < 5; attempt++) logger.warn('Workflow failed', meta(error));
  logger.warn('Workflow failed', meta(error, 'run-2'));
  logger.warn('Temporal Server 1.16.0 or newer is required', { sdkComponent: 'core' });

  expect(lines.map(([level, m]) => [level, m])).toEqual([
    [
      'ERROR',
      expect.stringMatching(/^journey "win-back" threw at journeys\/winBack\.ts:31:13: invalid duration "14 dayz"\. .*retries it until a worker with a fix/),
    ],
    ['ERROR', expect.stringMatching(/^journey "win-back" threw at journeys\/winBack\.ts:31:13/)],
    ['WARN', 'Temporal Server 1.16.0 or newer is required'],
  ]);
  expect(lines[0][2]).toMatchObject({ workflowId: 'journey:win-back:c7', runId: 'run-1', location: 'journeys/winBack.ts:31:13' });
});
