// Runs a scenario through the whole engine (customer workflow, routing, every journey, delivery policy,
// template rendering) on the time-skipping test server; messages are rendered and captured, not sent.
import { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { sendEvent } from '../client/events';
import { createCaptureActivities, type CapturedMessage } from '../activities/delivery';
import type { CustomerEvent } from '../sdk/events';
import { createRenderer } from '../worker/activities';
import { buildWorkflowBundle } from '../worker/bundle';
import { createEngineWorker } from '../worker/createWorker';
import { registerSearchAttributes } from '../worker/searchAttributes';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from '../domain/engineConfig';
import { customerWorkflowId, journeyStatusQuery, stateQuery, updateConsentSignal } from '../domain/messages';
import { createSimulationClock, lockClock } from './clock';
import { resolveAt, type Scenario } from './scenario';
import { buildTimeline, type FinalRow, type TimelineRow } from './timeline';

export interface SimulationResult {
  rows: TimelineRow[];
  final: FinalRow;
  captured: CapturedMessage[];
  timezone: string;
  /** With `collectHistories`: every workflow's event history at the end, for replay tests. */
  histories?: RecordedHistory[];
}

export interface RecordedHistory {
  workflowId: string;
  workflowType: string;
  history: temporal.api.history.v1.IHistory;
}

export interface SimulateOptions {
  journey?: string;
  testServerPath: string;
  engine?: Partial<EngineConfig>;
  collectHistories?: boolean;
  /** A prebuilt bundle of workflows/ (bench and tests that run several simulations); otherwise built here. */
  workflowBundle?: WorkflowBundleWithSourceMap;
}

let runtimeInstalled = false;

export async function runSimulation(scenario: Scenario, options: SimulateOptions): Promise<SimulationResult> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
    runtimeInstalled = true;
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: options.testServerPath } } });
  try {
    await registerSearchAttributes(env.connection, 'default');
    await lockClock(env);
    const start = new Date(scenario.start);
    const captured: CapturedMessage[] = [];
    const taskQueue = 'simulate';
    const worker = await createEngineWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: createCaptureActivities(createRenderer(), captured),
      workflowBundle: options.workflowBundle ?? (await buildWorkflowBundle()),
    });
    const client = new Client({ connection: env.connection });
    // Measured after the worker is ready, so the scenario's first event lands at its own start time.
    const clockOffsetMs = (await env.currentTimeMs()) - start.getTime();
    const engine: Partial<EngineConfig> = { ...DEFAULT_ENGINE_CONFIG, ...options.engine, clockOffsetMs };
    const customerId = scenario.customer.id;
    const clock = createSimulationClock({ env, client, clockOffsetMs, customers: () => [customerId] });

    return await worker.runUntil(async () => {
      let n = 0;
      const send = (e: Omit<CustomerEvent, 'messageId' | 'customerId' | 'context'>) =>
        sendEvent(client, { ...e, customerId, messageId: `scenario-${++n}`, context: {} }, { taskQueue, engine });
      await send({ type: 'identify', name: 'identify', properties: {}, traits: scenario.customer.traits });
      const handle = client.workflow.getHandle(customerWorkflowId(customerId));
      for (const [channel, granted] of Object.entries(scenario.customer.consent.channels))
        await handle.signal(updateConsentSignal, { channel: channel as never, granted: Boolean(granted) });
      for (const [topic, granted] of Object.entries(scenario.customer.consent.topics))
        await handle.signal(updateConsentSignal, { topic: topic as never, granted: Boolean(granted) });

      const events = scenario.events.map((e) => ({ ...e, when: resolveAt(e.at, start) })).sort((a, b) => a.when.getTime() - b.when.getTime());
      for (const e of events) {
        await clock.advanceTo(e.when);
        await send({ type: e.type, name: e.type === 'identify' ? 'identify' : e.name, properties: e.properties, traits: e.traits });
      }
      await clock.advanceTo(resolveAt(scenario.until, start));

      const state = await handle.query(stateQuery);
      const ids = [...new Set(Object.values(state.journeys).map((r) => r.workflowId))];
      const statuses = await Promise.all(ids.map((id) => client.workflow.getHandle(id).query(journeyStatusQuery)));
      const { rows, final } = buildTimeline(state, statuses, options.journey);
      const histories = options.collectHistories
        ? await Promise.all(
            [customerWorkflowId(customerId), ...ids].map(async (workflowId) => {
              const h = client.workflow.getHandle(workflowId);
              const [history, description] = await Promise.all([h.fetchHistory(), h.describe()]);
              return { workflowId, workflowType: description.type, history };
            }),
          )
        : undefined;
      return { rows, final, captured, timezone: state.identities.timezone, histories };
    });
  } finally {
    await env.teardown();
  }
}
