// One helper builds the engine on a real Temporal server (dev or time-skipping) with real activities.
import { join } from 'node:path';
import webpack from 'webpack';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { sendEvent } from '../../client/events';
import type { DeliveryActivities } from '../../domain/delivery';
import type { Fact } from '../../domain/facts';
import type { CustomerEvent } from '../../sdk/events';
import { buildWorkflowBundle } from '../../worker/bundle';
import { createEngineWorker } from '../../worker/createWorker';
import { lockClock } from '../../simulate/clock';
import { registerSearchAttributes } from '../../worker/searchAttributes';
import type { EngineConfig } from '../../domain/engineConfig';
import { ALL_SEARCH_ATTRIBUTES } from '../../domain/searchAttributes';
import type { PayloadCodec } from '@temporalio/common';
import { dataConverterFor } from '../../config/payloadKeys';
import { eventually } from './eventually';
import { testCodec } from './privacy';
import { toolPaths } from '../../harness/tools';

// Quiet worker logs in tests: warnings and errors only.
Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function sharedBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= buildWorkflowBundle();
  return bundle;
}

/** The engine bundled with one module swapped for another file: an import of `request` from a file in a
 *  folder named `folder` resolves to `replacement` instead (an edited journey, a test registry). */
export function bundleReplacing(folder: string, request: string, replacement: string): Promise<WorkflowBundleWithSourceMap> {
  return buildWorkflowBundle({
    webpackConfigHook: (config) => {
      config.plugins = [
        ...(config.plugins ?? []),
        new webpack.NormalModuleReplacementPlugin(/.*/, (resource: { context?: string; request?: string }) => {
          if (resource.request === request && resource.context?.split(/[\\/]/).at(-1) === folder) resource.request = replacement;
        }),
      ];
      return config;
    },
  });
}

/** The engine with test/fixtures/journeys/index.ts (shipped plus test-only journeys) as its registry. */
export function bundleWithTestJourneys(): Promise<WorkflowBundleWithSourceMap> {
  return bundleReplacing('workflows', '../journeys', join(__dirname, '..', 'fixtures', 'journeys', 'index.ts'));
}

export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: toolPaths().testServer } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  await lockClock(env);
  return env;
}

/** `extraArgs`: more `temporal server start-dev` flags (e.g. privacy/devServer.ts devServerEraseArgs()). */
export async function startDevServer(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: toolPaths().temporalCli },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      extraArgs: ['--headless', ...extraArgs],
    },
  });
}

let queueCounter = 0;
let engineCounter = 0;

export interface RunningEngine {
  client: Client;
  worker: Worker;
  taskQueue: string;
  send(event: Partial<CustomerEvent> & Pick<CustomerEvent, 'customerId' | 'name'>): Promise<string>;
  /** A handle once the workflow exists (journeys start asynchronously, routed by the customer workflow). */
  started(workflowId: string, timeoutMs?: number): Promise<WorkflowHandle>;
  stop(): Promise<void>;
}

/** What startEngine needs of a server: a TestWorkflowEnvironment, or connections to a server of one's own. */
export type EngineServer = Pick<TestWorkflowEnvironment, 'connection' | 'nativeConnection' | 'namespace'>;

export interface EngineOptions {
  /** Payload codec of the worker and the client: the fixed test key by default; null for none (clear text). */
  codec?: PayloadCodec | null;
  /** Poll this task queue (a worker replacing one that stopped) instead of a new one. */
  taskQueue?: string;
  /** Where the workflows' facts go (a FactSpool's append, as worker/facts.ts wires it); unset: dropped. */
  recordFact?: (fact: Fact) => void;
}

/** Starts a worker on its own task queue; `send` delivers events the way the API does. Payloads are encrypted
 *  with the test key (test/helpers/privacy.ts) unless `options.codec` says otherwise. */
export async function startEngine(
  env: EngineServer,
  activities: DeliveryActivities,
  engine: Partial<EngineConfig> = {},
  workflowBundle?: Promise<WorkflowBundleWithSourceMap>,
  options: EngineOptions = {},
): Promise<RunningEngine> {
  const taskQueue = options.taskQueue ?? `test-${process.pid}-${++queueCounter}`;
  const instance = ++engineCounter; // message IDs stay unique when a new engine takes over a task queue
  const codec = options.codec === undefined ? testCodec() : (options.codec ?? undefined);
  const worker = await createEngineWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities,
    workflowBundle: await (workflowBundle ?? sharedBundle()),
    payloadCodecs: codec ? [codec] : undefined,
    recordFact: options.recordFact,
  });
  const running = worker.run();
  let n = 0;
  // A plain client: the test environment's own client unlocks time skipping while it awaits a result,
  // and the server then jumps straight to the next timer anywhere (even a 10-year workflow timeout).
  const client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter: dataConverterFor(codec) });
  return {
    client,
    worker,
    taskQueue,
    send: (e) =>
      sendEvent(client, { type: 'track', messageId: `m-${taskQueue}-${instance}-${++n}`, properties: {}, traits: {}, context: {}, ...e } as CustomerEvent, {
        taskQueue,
        engine,
      }),
    async started(workflowId, timeoutMs = 20_000) {
      const handle = client.workflow.getHandle(workflowId);
      // Not found (not started yet) or any other error: ask again until the time is up.
      return eventually(`workflow ${workflowId} to start`, async () => (await handle.describe(), handle), { timeoutMs, intervalMs: 100, retryErrors: true });
    },
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}
