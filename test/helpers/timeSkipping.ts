// One setup for tests on the time-skipping server: the server, a real SMTP sink, the engine sending real
// mail to it, and the clock driver that moves time (see simulate/clock.ts).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createSimulationClock, type SimulationClock } from '../../simulate/clock';
import type { EngineConfig } from '../../domain/engineConfig';
import { startEngine, startTimeSkippingServer, type EngineOptions, type RunningEngine } from './engine';
import { emailActivitiesFor, startSmtpSink, type SmtpSink } from '../../harness/smtpSink';

export interface TimeSkippingHarness {
  env: TestWorkflowEnvironment;
  smtp: SmtpSink;
  engine: RunningEngine;
  clock: SimulationClock;
  /** The clock waits for this customer's workflows to go idle before it moves. */
  watch(customerId: string): void;
  stop(): Promise<void>;
}

export async function startTimeSkippingHarness(
  engineConfig: Partial<EngineConfig>,
  from?: string,
  workflowBundle?: Promise<WorkflowBundleWithSourceMap>,
  options: EngineOptions = {},
): Promise<TimeSkippingHarness> {
  const [env, smtp] = await Promise.all([startTimeSkippingServer(), startSmtpSink()]);
  const engine = await startEngine(env, emailActivitiesFor(smtp, from), engineConfig, workflowBundle, options);
  const customers: string[] = [];
  const clock = createSimulationClock({ env, client: engine.client, clockOffsetMs: 0, customers: () => customers });
  return {
    env,
    smtp,
    engine,
    clock,
    watch: (id) => void customers.push(id),
    async stop() {
      await engine.stop();
      await env.teardown();
      await smtp.close();
    },
  };
}
