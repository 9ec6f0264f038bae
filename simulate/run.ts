// Runs a scenario through the whole engine (customer workflow, routing, every journey, delivery policy,
// template rendering) on the time-skipping test server; messages are rendered and captured, not sent.
import { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { sendEvent } from '../client/events';
import { createCaptureActivities, type CapturedMessage } from '../activities/delivery';
import type { TemplateRenderer } from '../activities/templates';
import type { CustomerEvent } from '../sdk/events';
import type { AnyJourney } from '../sdk/journey';
import { journeys } from '../journeys';
import { createRenderer } from '../worker/activities';
import { buildWorkflowBundle } from '../worker/bundle';
import { createEngineWorker } from '../worker/createWorker';
import { registerSearchAttributes } from '../worker/searchAttributes';
import { describeTaskFailure, type TaskFailure } from '../worker/taskFailures';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from '../domain/engineConfig';
import type { Fact } from '../domain/facts';
import { customerWorkflowId, journeyStatusQuery, journeysQuery, stateQuery, updateConsentSignal } from '../domain/messages';
import { createSimulationClock, lockClock, WorkflowTaskFailedError, type SimulationClock } from './clock';
import { watchTaskFailures } from './failFast';
import { resolveAt, type Scenario } from './scenario';
import { buildTimeline, engineSecond, type FinalRow, type TimelineRow } from './timeline';
import { eventsJourneysReactTo, mayTake, runsReached, unheardWarning } from './unheardEvents';

export interface SimulationResult {
  rows: TimelineRow[];
  final: FinalRow;
  captured: CapturedMessage[];
  timezone: string;
  /** Scenario events no journey triggers on and no running journey waited for, in words (for stderr). */
  warnings: string[];
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
  /** The journeys the bundle runs (for the warnings and cool-downs); journeys/index.ts by default. */
  registry?: readonly AnyJourney[];
}

/** Journey code threw: the simulation stopped there. The message names the journey, the file and line. */
export class JourneyCodeError extends Error {
  constructor(
    message: string,
    readonly failure: TaskFailure,
  ) {
    super(message);
    this.name = 'JourneyCodeError';
  }
}

export async function runSimulation(scenario: Scenario, options: SimulateOptions): Promise<SimulationResult> {
  // Before the server and worker exist: the watch installs the Runtime whose logger sees task failures.
  const watch = watchTaskFailures();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: options.testServerPath } } });
  try {
    await registerSearchAttributes(env.connection, 'default');
    await lockClock(env);
    const captured: CapturedMessage[] = [];
    const facts: Fact[] = [];
    const worker = await createEngineWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: 'simulate',
      activities: createCaptureActivities(await warmRenderer(), captured),
      workflowBundle: options.workflowBundle ?? (await buildWorkflowBundle()),
      recordFact: (f) => void facts.push(f),
    });
    const client = new Client({ connection: env.connection });
    const progress: Drive['progress'] = {};
    const run = () => client.withAbortSignal(watch.signal, () => drive({ progress, scenario, options, env, client, captured, facts }));
    let result: SimulationResult | undefined;
    let error: unknown;
    await worker.runUntil(run).then(
      (r) => void (result = r),
      (err) => void (error = err),
    );
    const failure = watch.failure() ?? (error instanceof WorkflowTaskFailedError ? failureOfHistory(error) : undefined);
    if (failure) throw new JourneyCodeError(await stoppedAt(env, failure, progress.clockOffsetMs), failure);
    if (error !== undefined || !result) throw error;
    return result;
  } finally {
    watch.stop();
    await env.teardown();
  }
}

/** A renderer that has compiled one MJML mail already: the first compile loads MJML (half a second), and
 *  that real time would otherwise show in every later step of the run that sent it (see drive). */
async function warmRenderer(): Promise<TemplateRenderer> {
  const renderer = createRenderer();
  const links = { preferences: 'https://preferences.example/p', unsubscribe: 'https://preferences.example/u' };
  await renderer.render('welcome/hello', 'email', { traits: {}, data: {}, customer: { id: 'warm-up' }, journey: 'welcome', links }).catch(() => undefined);
  return renderer;
}

/** The fallback's failure (from the workflow's history): the message, without a stack. */
function failureOfHistory(err: WorkflowTaskFailedError): TaskFailure {
  const journey = err.workflowId.startsWith('journey:') ? err.workflowId.split(':')[1] : undefined;
  return { workflowId: err.workflowId, journey, message: err.failure, frames: [] };
}

/** What `simulate` prints when journey code threw: what and where, the stack, and when in simulated time. */
async function stoppedAt(env: TestWorkflowEnvironment, f: TaskFailure, clockOffsetMs: number | undefined): Promise<string> {
  const frames = f.frames.filter((l) => !/node_modules|\(node:/.test(l)).slice(0, 8);
  // No stack: the SDK logs none for an error in a signal handler, where a journey's exitOn and goal matches run.
  const unknownWhere = f.location ? [] : ['    (no stack: it was thrown outside run(), in a function the engine calls on an event: an exitOn or goal match)'];
  const serverNow = await env.currentTimeMs().catch(() => undefined);
  const when =
    serverNow !== undefined && clockOffsetMs !== undefined ? ` at ${engineSecond(new Date(serverNow - clockOffsetMs).toISOString())} simulated time` : '';
  return [
    describeTaskFailure(f),
    ...frames.map((l) => `    ${l}`),
    ...unknownWhere,
    `simulate stopped${when}: workflow ${f.workflowId} cannot go on. On a live engine its workflow task is retried until a worker with a fix is deployed.`,
  ].join('\n');
}

/** How long before the scenario's start the customer's profile is set up (see drive). */
const LEAD_IN_MS = 10_000;

interface Drive {
  /** Set once the engine's clock offset is known (for the time of a failure). */
  progress: { clockOffsetMs?: number };
  scenario: Scenario;
  options: SimulateOptions;
  env: TestWorkflowEnvironment;
  client: Client;
  captured: CapturedMessage[];
  facts: Fact[];
}

async function drive({ progress, scenario, options, env, client, captured, facts }: Drive): Promise<SimulationResult> {
  const start = new Date(scenario.start);
  const registry = options.registry ?? journeys;
  // The test server's clock runs on in real time, and the worker's first workflow task takes a second or more
  // (it loads the engine's bundle), so engine time starts LEAD_IN_MS before the scenario's start: the identify
  // and consent land before it, and the clock then steps to the start itself, where the first event lands
  // within milliseconds instead of after the worker's start-up.
  const clockOffsetMs = (await env.currentTimeMs()) + LEAD_IN_MS - start.getTime();
  progress.clockOffsetMs = clockOffsetMs;
  const engine: Partial<EngineConfig> = { ...DEFAULT_ENGINE_CONFIG, ...options.engine, clockOffsetMs };
  const customerId = scenario.customer.id;
  const clock = createSimulationClock({ env, client, clockOffsetMs, customers: () => [customerId] });
  let n = 0;
  const send = (e: Omit<CustomerEvent, 'messageId' | 'customerId' | 'context'>) =>
    sendEvent(client, { ...e, customerId, messageId: `scenario-${++n}`, context: {} }, { taskQueue: 'simulate', engine });
  await send({ type: 'identify', name: 'identify', properties: {}, traits: scenario.customer.traits });
  const handle = client.workflow.getHandle(customerWorkflowId(customerId));
  for (const [channel, granted] of Object.entries(scenario.customer.consent.channels))
    await handle.signal(updateConsentSignal, { channel: channel as never, granted: Boolean(granted) });
  for (const [topic, granted] of Object.entries(scenario.customer.consent.topics))
    await handle.signal(updateConsentSignal, { topic: topic as never, granted: Boolean(granted) });

  const reactedTo = eventsJourneysReactTo(registry);
  const warnings: string[] = [];
  const events = scenario.events.map((e) => ({ ...e, when: resolveAt(e.at, start) })).sort((a, b) => a.when.getTime() - b.when.getTime());
  for (const e of events) {
    await clock.advanceTo(e.when);
    if (e.type === 'track' && !reactedTo.has(e.name) && !(await someoneWaits(clock, customerId, registry, e.name)))
      warnings.push(unheardWarning(e.name, e.at, engineSecond(e.when.toISOString())));
    await send({ type: e.type, name: e.type === 'identify' ? 'identify' : e.name, properties: e.properties, traits: e.traits });
  }
  await clock.advanceTo(resolveAt(scenario.until, start));

  const state = await clock.query(customerWorkflowId(customerId), stateQuery);
  const { rows, final } = buildTimeline({ state, facts, registry, only: options.journey });
  const histories = options.collectHistories
    ? await collectHistories(client, [customerWorkflowId(customerId), ...new Set(Object.values(state.journeys).map((r) => r.workflowId))])
    : undefined;
  return { rows, final, captured, timezone: state.identities.timezone, warnings, histories };
}

/** Whether one of the customer's running journeys that the event reaches is waiting for it now. */
async function someoneWaits(clock: SimulationClock, customerId: string, registry: readonly AnyJourney[], event: string): Promise<boolean> {
  const runs = await clock.query(customerWorkflowId(customerId), journeysQuery);
  for (const id of runsReached(runs, registry, event)) {
    if (mayTake(await clock.query(id, journeyStatusQuery), event)) return true;
  }
  return false;
}

function collectHistories(client: Client, workflowIds: string[]): Promise<RecordedHistory[]> {
  return Promise.all(
    workflowIds.map(async (workflowId) => {
      const h = client.workflow.getHandle(workflowId);
      const [history, description] = await Promise.all([h.fetchHistory(), h.describe()]);
      return { workflowId, workflowType: description.type, history };
    }),
  );
}
