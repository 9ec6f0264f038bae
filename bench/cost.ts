// cost: history events and billable Temporal Cloud actions per delivered message, read from the
// histories of every workflow involved (customer + journeys), beside the baseline's.
//   abandoned-cart, pet-lifecycle: their scenarios (journeys/scenarios/*.json) run whole on the
//     time-skipping server, as `omnijourney simulate` runs them (default quiet hours and caps).
//   welcome: three customers through the API on the dev server, up to their first message.
//   baseline: three baselineMailer workflows on the dev server, three messages each, one at a time.
// The mapping of event types to actions follows Temporal Cloud's "Actions" page (docs/benchmarks.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { temporal } from '@temporalio/proto';
import { temporal as proto } from '@temporalio/proto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadConfig } from '../config/config';
import { runSimulation } from '../simulate/run';
import { Scenario } from '../simulate/scenario';
import type { Infra } from './infra';
import { BASELINE_QUEUE, WRITE_KEY, root } from './infra';
import { round, waitUntil } from './load';
import { progress, type CostCase, type CostResult } from './report';
import { benchAddress } from './sink';

type History = temporal.api.history.v1.IHistory;
const ET = proto.api.enums.v1.EventType;

/** EVENT_TYPE_WORKFLOW_TASK_SCHEDULED → WorkflowTaskScheduled */
export function eventTypeName(t: number | null | undefined): string {
  const raw = ET[t ?? 0] ?? `EVENT_TYPE_${t}`;
  return raw
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

/** How each history event type maps to billable actions (Temporal Cloud, "Actions"). */
export const ACTION_MAPPING: Array<{ eventType: string; actions: string }> = [
  { eventType: 'WorkflowExecutionStarted', actions: '1 (client start, signal-with-start or continue-as-new run); 0 for a child (billed on the parent)' },
  {
    eventType: 'WorkflowExecutionSignaled',
    actions: '1 (from a client or another workflow); 0 when it is the signal of the signal-with-start that started the run (one action in all)',
  },
  { eventType: 'SignalExternalWorkflowExecutionInitiated', actions: '0 (billed where the signal lands, as WorkflowExecutionSignaled)' },
  { eventType: 'StartChildWorkflowExecutionInitiated', actions: '2 (the intent, and the start)' },
  { eventType: 'ActivityTaskScheduled', actions: '1' },
  { eventType: 'ActivityTaskStarted', actions: 'attempt − 1 (retries)' },
  { eventType: 'TimerStarted', actions: '1 (includes condition() with a timeout)' },
  { eventType: 'UpsertWorkflowSearchAttributes', actions: '1 (0 if it only sets TemporalChangeVersion)' },
  { eventType: 'MarkerRecorded', actions: '1 per workflow task with markers (upper bound: these are patch markers of patched(), which may be exempt)' },
  { eventType: 'WorkflowExecutionUpdateAccepted, WorkflowExecutionOptionsUpdated', actions: '1' },
  { eventType: 'every other type (workflow tasks, completions, timer fired, child started/completed …)', actions: '0' },
];

/** Billable actions of one run's history, by kind. Queries and heartbeats are not in histories. */
export function actionsOf(history: History): Record<string, number> {
  const events = history.events ?? [];
  const out: Record<string, number> = {};
  const add = (k: string, n = 1) => void (n > 0 && (out[k] = (out[k] ?? 0) + n));
  const first = events[0]?.workflowExecutionStartedEventAttributes;
  const isChild = Boolean(first?.parentWorkflowExecution);
  const markerTasks = new Set<string>();
  events.forEach((e, i) => {
    switch (e.eventType) {
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        if (!isChild) add('workflow started');
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        if (!(i === 1 && !isChild && events[0]?.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED && !first?.continuedExecutionRunId)) add('signal');
        break;
      case ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        add('child workflow', 2);
        break;
      case ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        add('activity');
        break;
      case ET.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        add('activity retry', (e.activityTaskStartedEventAttributes?.attempt ?? 1) - 1);
        break;
      case ET.EVENT_TYPE_TIMER_STARTED:
        add('timer');
        break;
      case ET.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const keys = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        if (keys.some((k) => k !== 'TemporalChangeVersion')) add('search attribute upsert');
        break;
      }
      case ET.EVENT_TYPE_MARKER_RECORDED:
        markerTasks.add(String(e.markerRecordedEventAttributes?.workflowTaskCompletedEventId ?? e.eventId));
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
        add('update/options');
        break;
      default:
        break;
    }
  });
  add('markers', markerTasks.size);
  return out;
}

/** `heartbeats`: activity heartbeats the run sent, billable but not in histories. The engine's `deliver`
 *  heartbeats once per successful send (the outbox's record, so a retry on another host does not send again). */
function tally(name: string, source: string, histories: History[], messages: number, heartbeats = 0): CostCase {
  const eventsByType: Record<string, number> = {};
  const actionsByKind: Record<string, number> = heartbeats ? { 'activity heartbeat': heartbeats } : {};
  const signalsByName: Record<string, number> = {};
  const upsertsByKey: Record<string, number> = {};
  const count = (o: Record<string, number>, k: string): void => void (o[k] = (o[k] ?? 0) + 1);
  let events = 0;
  for (const h of histories) {
    for (const e of h.events ?? []) {
      count(eventsByType, eventTypeName(e.eventType));
      events += 1;
      const signal = e.workflowExecutionSignaledEventAttributes?.signalName;
      if (signal) count(signalsByName, signal);
      const keys = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
      if (keys.length > 0) count(upsertsByKey, keys.sort().join('+'));
    }
    for (const [k, n] of Object.entries(actionsOf(h))) actionsByKind[k] = (actionsByKind[k] ?? 0) + n;
  }
  const actions = Object.values(actionsByKind).reduce((a, b) => a + b, 0);
  const sorted = <T extends Record<string, number>>(o: T) => Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]));
  return {
    name,
    source,
    workflows: histories.length,
    messages,
    historyEvents: events,
    actions,
    perMessage: { historyEvents: messages ? round(events / messages) : 0, actions: messages ? round(actions / messages, 2) : 0 },
    eventsByType: sorted(eventsByType),
    actionsByKind: sorted(actionsByKind),
    signalsByName: sorted(signalsByName),
    upsertsByKey: sorted(upsertsByKey),
  };
}

async function scenarioCase(name: string, file: string, testServerPath: string, bundle: WorkflowBundleWithSourceMap): Promise<CostCase> {
  const scenario = Scenario.parse(JSON.parse(readFileSync(join(root, file), 'utf8')));
  const result = await runSimulation(scenario, { testServerPath, engine: loadConfig({}).engine, collectHistories: true, workflowBundle: bundle });
  const c = tally(
    name,
    `${file} on the time-skipping server (default quiet hours and caps)`,
    (result.histories ?? []).map((h) => h.history),
    result.captured.length,
    result.captured.length,
  );
  progress(
    `cost: ${name}: ${c.messages} messages, ${c.workflows} workflows, ${c.perMessage.historyEvents} history events and ${c.perMessage.actions} actions per message`,
  );
  return c;
}

async function welcomeCase(infra: Infra): Promise<CostCase> {
  const group = 'costw';
  const ids = [0, 1, 2];
  for (const i of ids) {
    const id = `${group}-${i}`;
    const res = await fetch(`${infra.api.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        batch: [
          { type: 'identify', userId: id, traits: { email: benchAddress(group, i), firstName: 'Bench' }, messageId: `${id}-identify` },
          { type: 'track', userId: id, event: 'user.signed_up', properties: { plan: 'pro' }, messageId: `${id}-signup` },
        ],
      }),
    });
    if (res.status !== 200) throw new Error(`cost: welcome: HTTP ${res.status}`);
  }
  if (!(await waitUntil(() => infra.sink.count(group) >= ids.length, 60_000))) throw new Error('cost: welcome mails did not arrive');
  // The journey has replied (deliveryResult) and is waiting: give the last workflow tasks a moment.
  await new Promise((r) => setTimeout(r, 1000));
  const histories = await Promise.all(
    ids.flatMap((i) => [`customer:${group}-${i}`, `journey:welcome:${group}-${i}`]).map((id) => infra.client.workflow.getHandle(id).fetchHistory()),
  );
  const c = tally(
    'welcome (to the first message)',
    'three customers through the API on the dev server, until the welcome mail is sent and the journey waits',
    histories,
    ids.length,
    ids.length,
  );
  progress(`cost: welcome: ${c.perMessage.historyEvents} history events and ${c.perMessage.actions} actions per message`);
  return c;
}

async function baselineCase(infra: Infra): Promise<CostCase> {
  const group = 'costb';
  const workflows = [0, 1, 2];
  const perWorkflow = 3;
  await Promise.all(
    workflows.map(async (w) => {
      for (let k = 0; k < perWorkflow; k++) {
        // Same address for one workflow: the sink counts its k-th mail.
        const mail = { to: benchAddress(group, w), subject: `Message ${k + 1}`, text: 'Hello.' };
        if (k === 0)
          await infra.client.workflow.signalWithStart('baselineMailer', {
            workflowId: `baseline-${group}-${w}`,
            taskQueue: BASELINE_QUEUE,
            args: [],
            signal: 'send',
            signalArgs: [mail],
          });
        else await infra.client.workflow.getHandle(`baseline-${group}-${w}`).signal('send', mail);
        if (!(await waitUntil(() => (infra.sink.arrivals(mail.to)?.length ?? 0) > k, 60_000))) throw new Error('cost: baseline mail did not arrive');
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 1000));
  const histories = await Promise.all(workflows.map((w) => infra.client.workflow.getHandle(`baseline-${group}-${w}`).fetchHistory()));
  const c = tally(
    'baseline (baselineMailer)',
    'three workflows on the dev server, three messages each (signal-with-start, then signals), one at a time',
    histories,
    workflows.length * perWorkflow,
  );
  progress(`cost: baseline: ${c.perMessage.historyEvents} history events and ${c.perMessage.actions} actions per message`);
  return c;
}

export async function runCost(infra: Infra, testServerPath: string, bundle: WorkflowBundleWithSourceMap): Promise<CostResult> {
  progress('cost: abandoned-cart and pet-lifecycle scenarios on the time-skipping server, histories of every workflow');
  const abandoned = await scenarioCase('abandoned-cart', 'journeys/scenarios/abandoned-cart.json', testServerPath, bundle);
  const pet = await scenarioCase('pet-lifecycle', 'journeys/scenarios/pet-lifecycle.json', testServerPath, bundle);
  progress('cost: welcome (engine) and the baseline on the dev server');
  const welcome = await welcomeCase(infra);
  const baseline = await baselineCase(infra);
  const vs = (c: CostCase) => (baseline.perMessage.actions ? round(c.perMessage.actions / baseline.perMessage.actions, 2) : null);
  return {
    mapping: ACTION_MAPPING,
    notIncluded:
      "queries (1 action each: the preference centre and `omnijourney profile` query the customer workflow) are not in histories, and neither are activity heartbeats: the engine's deliver sends one per send (its outbox record), which the bench adds as `activity heartbeat`",
    journeys: [abandoned, pet, welcome],
    baseline,
    actionsPerMessageRatio: { 'abandoned-cart': vs(abandoned), 'pet-lifecycle': vs(pet), welcome: vs(welcome) },
  };
}
