// A bug in journey code stops `simulate` within seconds, naming the journey and the file and line, instead of
// hanging while Temporal retries the failing workflow task (test/fixtures/journeys/broken.ts). A run that fails
// for good (an ApplicationFailure) is not a bug: it is a `failed` row, and the simulation goes on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import webpack from 'webpack';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { toolPaths } from '../../harness/tools';
import { JourneyCodeError, runSimulation } from '../../simulate/run';
import { Scenario } from '../../simulate/scenario';
import { buildWorkflowBundle } from '../../worker/bundle';
import { journeys } from '../fixtures/journeys/brokenIndex';

// Not test/helpers/engine.ts: it installs a Runtime of its own, and simulate's logger is the one that sees a
// failing task at once (without it simulate still stops, later, from the workflow's history).
const fixtures = join(__dirname, '..', 'fixtures', 'journeys');
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
const brokenBundle = () =>
  (bundle ??= buildWorkflowBundle({
    webpackConfigHook: (config) => {
      config.plugins = [
        ...(config.plugins ?? []),
        new webpack.NormalModuleReplacementPlugin(/.*/, (r: { context?: string; request?: string }) => {
          if (r.request === '../journeys' && r.context?.split(/[\\/]/).at(-1) === 'workflows') r.request = join(fixtures, 'brokenIndex.ts');
        }),
      ];
      return config;
    },
  }));

/** The line of `text` in test/fixtures/journeys/broken.ts (1-based). */
const lineOf = (text: string) =>
  readFileSync(join(fixtures, 'broken.ts'), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;

async function simulate(events: Array<{ at: string; name: string; properties?: object }>): Promise<{ error?: JourneyCodeError; ms: number; rows?: unknown[] }> {
  const scenario = Scenario.parse({ start: '2026-01-05T09:00:00Z', customer: { id: 'bob', traits: { email: 'bob@example.com' } }, events, until: '30d' });
  const workflowBundle = await brokenBundle();
  const t0 = Date.now();
  try {
    const r = await runSimulation(scenario, { testServerPath: toolPaths().testServer, workflowBundle, registry: journeys });
    return { ms: Date.now() - t0, rows: r.rows };
  } catch (err) {
    if (!(err instanceof JourneyCodeError)) throw err;
    return { error: err, ms: Date.now() - t0 };
  }
}

test('a computed duration with a typo stops simulate in seconds, with the journey, the file and line and the value', async () => {
  const { error, ms } = await simulate([{ at: '1h', name: 'trial.started' }]);
  expect(error?.message).toMatch(
    new RegExp(`^journey "broken-duration" threw at test/fixtures/journeys/broken\\.ts:${lineOf('await j.sleep(j.entry')}:\\d+: invalid duration "14 dayz"`),
  );
  expect(error?.message).toMatch(/simulate stopped at 2026-01-05T10:00:\d\d\.000Z simulated time: workflow journey:broken-duration:bob cannot go on/);
  // The whole run: the test server's start, the worker, one hour of engine time, and the stop (3-5 s here).
  expect(ms).toBeLessThan(20_000);
});

test("a trigger's when that throws stops it too, in the customer workflow, with the line", async () => {
  const { error } = await simulate([{ at: '1h', name: 'quote.requested' }]);
  expect(error?.message).toMatch(
    new RegExp(`^the customer workflow customer:bob threw at test/fixtures/journeys/broken\\.ts:${lineOf('when: (p) => p.amount')}:\\d+`),
  );
  expect(error?.message).toContain("Cannot read properties of undefined (reading 'toFixed')");
});

test('an exitOn match that throws (no stack in the log) stops it from the history, naming the journey', async () => {
  const { error, ms } = await simulate([
    { at: '1h', name: 'demo.booked' },
    { at: '2h', name: 'demo.cancelled' },
  ]);
  expect(error?.message).toMatch(/^journey "broken-match" threw: Cannot read properties of undefined \(reading 'id'\)/);
  expect(error?.message).toContain('no stack');
  expect(ms).toBeLessThan(30_000);
});

test('a run that fails for good is a failed row, and the simulation goes on', async () => {
  const { error, rows } = await simulate([
    { at: '1h', name: 'email.changed', properties: { email: 'a@example.com, b@example.com' } },
    { at: '2h', name: 'user.signed_up' },
  ]);
  expect(error).toBeUndefined();
  expect(rows).toContainEqual(expect.objectContaining({ kind: 'failed', journey: 'copy-email', reason: expect.stringContaining('traits.email') }));
  expect(rows).toContainEqual(expect.objectContaining({ kind: 'entered', journey: 'welcome', at: '2026-01-05T11:00:00.000Z' }));
});
