// simulate: wall time of the two-year pet-lifecycle scenario on the time-skipping server, the way
// `omnijourney simulate` runs it (test server start, engine worker, clock driven by simulate/clock.ts),
// with the workflow bundle built beforehand (its time is reported on its own).
// Baseline: one plain workflow with the same timeline (a timer to each message's time, one no-op activity
// each) on the same test server, its clock locked and moved by a minimal driver: wait until the workflow
// has nothing pending, jump to its next timer. (The test server's automatic time skipping cannot be used:
// it jumps the clock while a workflow task or activity runs — README "Tests".)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadConfig } from '../config/config';
import { lockClock } from '../simulate/clock';
import { runSimulation } from '../simulate/run';
import { resolveAt, Scenario } from '../simulate/scenario';
import { createBaselineActivities } from './baseline/activities';
import { root } from './infra';
import { round, sleep } from './load';
import { progress, type SimulateResult } from './report';

export const SIMULATE_SCENARIO = 'journeys/scenarios/pet-lifecycle.json';

/** Until the workflow has no pending workflow task or activity, twice in a row with the same history. */
async function idle(handle: WorkflowHandle): Promise<void> {
  let previous = -1;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const d = await handle.describe();
    const busy = Boolean(d.raw.pendingWorkflowTask) || (d.raw.pendingActivities?.length ?? 0) > 0;
    if (!busy && d.historyLength === previous) return;
    previous = busy ? -1 : d.historyLength;
    if (Date.now() > deadline) throw new Error('simulate baseline: the workflow did not go idle');
    await sleep(busy ? 20 : 10);
  }
}

async function baselineRun(testServerPath: string, bundle: WorkflowBundleWithSourceMap, waits: number[]): Promise<number> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testServerPath } } });
  try {
    await lockClock(env);
    const taskQueue = 'bench-simulate-baseline';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: createBaselineActivities({ host: '127.0.0.1', port: 1 }),
    });
    // A plain client: the test environment's own client unlocks time skipping while it waits for a result.
    const client = new Client({ connection: env.connection });
    return await worker.runUntil(async () => {
      const handle = await client.workflow.start('baselineTimeline', { args: [waits], taskQueue, workflowId: 'baseline-timeline' });
      for (const ms of waits) {
        await idle(handle);
        if (ms > 0) await env.sleep(ms + 1000);
      }
      return (await handle.result()) as number;
    });
  } finally {
    await env.teardown();
  }
}

export async function runSimulate(
  testServerPath: string,
  bundle: WorkflowBundleWithSourceMap,
  bundleMs: number,
  baselineBundle: WorkflowBundleWithSourceMap,
): Promise<SimulateResult> {
  const scenario = Scenario.parse(JSON.parse(readFileSync(join(root, SIMULATE_SCENARIO), 'utf8')));
  const start = new Date(scenario.start);
  const until = resolveAt(scenario.until, start);
  const days = round((until.getTime() - start.getTime()) / 86_400_000, 0);
  progress(`simulate: ${SIMULATE_SCENARIO} (${days} simulated days) on the time-skipping server`);
  const t0 = performance.now();
  const result = await runSimulation(scenario, { testServerPath, engine: loadConfig({}).engine, workflowBundle: bundle });
  const wallMs = round(performance.now() - t0, 0);
  const times = result.rows.filter((r) => r.kind === 'message').map((r) => Date.parse(r.at));
  progress(`simulate: engine ${round(wallMs / 1000)} s for ${times.length} messages`);

  const waits = times.map((t, i) => Math.max(0, t - (i === 0 ? start.getTime() : times[i - 1])));
  const t1 = performance.now();
  const sent = await baselineRun(testServerPath, baselineBundle, waits);
  const baselineMs = round(performance.now() - t1, 0);
  progress(`simulate: baseline ${round(baselineMs / 1000)} s for ${sent} timers and activities`);
  return {
    scenario: SIMULATE_SCENARIO,
    simulatedDays: days,
    messages: times.length,
    engine: { wallMs, bundleMs: round(bundleMs, 0) },
    baseline: { wallMs: baselineMs, timers: sent },
    ratio: round(wallMs / baselineMs, 2),
  };
}
