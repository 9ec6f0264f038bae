// One setup for the dev-server suites: a Temporal dev server, a real SMTP sink (and Prism, the Twilio mock,
// when asked), the engine's worker with the suite's configuration, and (startApiHarness) the API built by
// buildServer on a port in front of them. stop() takes them down in reverse order, each step bounded, so one
// that hangs cannot keep the others (or jest) from finishing. A start that fails stops what had started.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { DeliveryActivities } from '../../domain/delivery';
import { customersConfig } from '../../api/customers';
import type { CodecRouteDeps } from '../../api/routes/codec';
import { buildServer } from '../../api/server';
import { loadConfig, type Config } from '../../config/config';
import type { EngineConfig } from '../../domain/engineConfig';
import { startDevServer, startEngine, type EngineOptions, type RunningEngine } from './engine';
import { startPrism, type PrismServer } from './prism';
import { testCodec } from './privacy';
import { emailActivitiesFor, startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../../harness/smtpSink';

/** The delivery policy of the dev-server suites: caps no test reaches, no quiet hours (tests run at any hour). */
export const TEST_POLICY: EngineConfig['policy'] = { caps: { perDay: 10, perWeek: 20 }, quietHours: null };

/** What the harness started before it loads the configuration. */
export interface Started {
  smtp: SmtpSink;
  prism?: PrismServer;
  /** A temporary folder of the suite's own, removed by stop(). */
  dir: string;
}

export interface DevServerHarnessOptions {
  /** Names the temporary folder: omnijourney-<name>-XXXXXX. */
  name?: string;
  /** Variables for loadConfig, over the harness's own: OMNIJOURNEY_DATA_DIR (the temporary folder), SMTP_HOST and
   *  SMTP_PORT (the sink), TWILIO_API_BASE_URL (Prism, when started). A function when they name what was started. */
  config?: Record<string, string> | ((started: Started) => Record<string, string>);
  /** How the SMTP sink behaves (a slow relay, refused recipients). */
  smtp?: SmtpSinkOptions;
  /** Start Prism too, for the real twilio client (test/helpers/prism.ts). */
  prism?: boolean;
  /** More `temporal server start-dev` flags (e.g. privacy/devServer.ts devServerEraseArgs()). */
  devServerArgs?: string[];
  /** The worker's activities. Default: real email to the sink (emailActivitiesFor); createWorkerActivities(config)
   *  for the worker's own channel wiring. */
  activities?: (config: Config, started: Started) => DeliveryActivities;
  /** The engine settings of the worker and of the customer workflows the API starts. Default: TEST_POLICY with the
   *  configuration's phone lookup secret (the API finds customers by phone with it). */
  engine?: (config: Config) => Partial<EngineConfig>;
  /** The workflow bundle (bundleWithFaultJourneys(), bundleWithTestJourneys()); default: the shipped journeys. */
  bundle?: Promise<WorkflowBundleWithSourceMap>;
  /** Where the worker's facts go (startEngine's recordFact); default: dropped. */
  recordFact?: EngineOptions['recordFact'];
}

export interface DevServerHarness {
  server: TestWorkflowEnvironment;
  /** The engine's client (the test payload codec). */
  client: Client;
  smtp: SmtpSink;
  prism?: PrismServer;
  engine: RunningEngine;
  /** What the worker runs with. */
  engineConfig: Partial<EngineConfig>;
  config: Config;
  dir: string;
  /** Reverse order, each step bounded; throws naming the steps that failed, after trying all of them. */
  stop(): Promise<void>;
}

export interface ApiHarnessOptions extends DevServerHarnessOptions {
  /** Serve /codec/* with the test payload key; tokens and origins from the configuration unless given here. */
  codec?: Partial<Pick<CodecRouteDeps, 'authTokens' | 'corsOrigins'>>;
  logger?: FastifyServerOptions['logger'];
}

export interface ApiHarness extends DevServerHarness {
  app: FastifyInstance;
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
}

/** A harness started with `prism: true`. */
export type WithPrism<H> = H & { prism: PrismServer };

type Step = { what: string; run: () => Promise<unknown>; timeoutMs: number };

/** Runs `steps` last to first, each within its time; every step runs even when one before it failed. */
async function unwind(steps: Step[]): Promise<void> {
  const failures: string[] = [];
  for (const { what, run, timeoutMs } of steps.splice(0).reverse()) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        run(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      failures.push(`${what}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
  if (failures.length) throw new Error(`stopping the dev-server harness: ${failures.join('; ')}`);
}

/** Starts `start` with cleanup registered in `steps`; if the start fails, unwinds what is there and rethrows. */
async function guarded<T>(steps: Step[], start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    await unwind(steps).catch(() => undefined); // the start's error is the one to report
    throw err;
  }
}

/** The dev server, the SMTP sink (and Prism) and the engine's worker, without the API. */
export async function startDevServerHarness(options: DevServerHarnessOptions & { prism: true }): Promise<WithPrism<DevServerHarness>>;
export async function startDevServerHarness(options?: DevServerHarnessOptions): Promise<DevServerHarness>;
export async function startDevServerHarness(options: DevServerHarnessOptions = {}): Promise<DevServerHarness> {
  return start(options, []);
}

/** The dev-server harness with the API (buildServer: ingest, customer pages, webhooks, the codec endpoint when
 *  asked) listening on 127.0.0.1. */
export async function startApiHarness(options: ApiHarnessOptions & { prism: true }): Promise<WithPrism<ApiHarness>>;
export async function startApiHarness(options?: ApiHarnessOptions): Promise<ApiHarness>;
export async function startApiHarness(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const steps: Step[] = [];
  const h = await start(options, steps);
  return guarded(steps, async () => {
    const app = buildServer({
      client: h.client,
      taskQueue: h.engine.taskQueue,
      api: h.config.api,
      engine: h.engineConfig,
      customers: customersConfig(h.config),
      codec: options.codec ? { codec: testCodec(), namespace: 'default', ...h.config.privacy.codec, ...options.codec } : undefined,
      logger: options.logger,
    });
    steps.push({ what: 'closing the API', run: () => app.close(), timeoutMs: 10_000 });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { ...h, app, url, port: (app.server.address() as { port: number }).port };
  });
}

async function start(options: DevServerHarnessOptions, steps: Step[]): Promise<DevServerHarness> {
  const dir = mkdtempSync(join(tmpdir(), `omnijourney-${options.name ?? 'devserver'}-`));
  steps.push({ what: 'removing the temporary folder', run: async () => rmSync(dir, { recursive: true, force: true }), timeoutMs: 10_000 });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= unwind(steps));
  return guarded(steps, async () => {
    // Side by side; whatever started is stopped again if another part fails.
    const [server, smtp, prism] = await Promise.allSettled([
      startDevServer(options.devServerArgs),
      startSmtpSink(0, options.smtp),
      options.prism ? startPrism() : Promise.resolve(undefined),
    ]);
    if (server.status === 'fulfilled') steps.push({ what: 'stopping the dev server', run: () => server.value.teardown(), timeoutMs: 30_000 });
    if (smtp.status === 'fulfilled') steps.push({ what: 'closing the SMTP sink', run: () => smtp.value.close(), timeoutMs: 10_000 });
    if (prism.status === 'fulfilled' && prism.value) {
      const p = prism.value;
      steps.push({ what: 'stopping Prism', run: () => p.stop(), timeoutMs: 15_000 });
    }
    for (const r of [server, smtp, prism]) if (r.status === 'rejected') throw r.reason;
    const started: Started = {
      smtp: (smtp as PromiseFulfilledResult<SmtpSink>).value,
      prism: (prism as PromiseFulfilledResult<PrismServer | undefined>).value,
      dir,
    };
    const env = (server as PromiseFulfilledResult<TestWorkflowEnvironment>).value;

    const config = loadConfig({
      OMNIJOURNEY_DATA_DIR: dir,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(started.smtp.port),
      ...(started.prism ? { TWILIO_API_BASE_URL: started.prism.url } : {}),
      ...(typeof options.config === 'function' ? options.config(started) : options.config),
    });
    const engineConfig = options.engine ? options.engine(config) : { policy: TEST_POLICY, lookupSecret: config.engine.lookupSecret };
    const activities = options.activities ? options.activities(config, started) : emailActivitiesFor(started.smtp);
    const engine = await startEngine(env, activities, engineConfig, options.bundle, { recordFact: options.recordFact });
    // Injected faults off first: a send still retrying against them would hold up the worker's shutdown.
    steps.push({ what: 'stopping the worker', run: async () => (started.prism?.inject(undefined), engine.stop()), timeoutMs: 30_000 });
    return { server: env, client: engine.client, smtp: started.smtp, prism: started.prism, engine, engineConfig, config, dir, stop };
  });
}
