// Drives Temporal's time-skipping test server as a discrete-event simulation.
//
// The server's automatic time skipping (what `handle.result()` turns on) jumps to the next timer as soon
// as no workflow task holds the clock, even while an activity is running or about to start: a send that
// takes 200 ms of real time saw its 1-minute start-to-close timeout fire and went out twice. So the clock
// stays locked, and this driver moves it itself: wait until every known workflow is idle (no pending
// workflow task or activity, nothing in flight), jump exactly to the earliest time one of them sleeps
// until, and repeat. Each journey and customer workflow reports its next wake-up in a query.
//
// A workflow whose code throws (a bug in a journey) fails its workflow task, and Temporal retries the task
// forever; a query to it never answers, and on the time-skipping server the workflow even looks idle. So every
// query here has a deadline: one that runs out sends the driver to the workflow's history, and a workflow task
// that failed there (and never completed since) stops the simulation with its error.
import { isGrpcCancelledError, isGrpcDeadlineError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { journeyStatusQuery, journeysQuery, workQuery } from '../domain/messages';

export interface SimulationClock {
  /** Engine time now (server time minus the offset). */
  now(): Promise<Date>;
  /** Runs every customer's journeys until engine time `until`, firing timers in order. */
  advanceTo(until: Date): Promise<void>;
  /** Waits until nothing is in flight. */
  settle(): Promise<void>;
  /** A query that cannot hang on a workflow whose code throws: it throws WorkflowTaskFailedError instead. */
  query<T>(workflowId: string, query: QueryDefinition<T>): Promise<T>;
}

export interface SimulationClockOptions {
  env: TestWorkflowEnvironment;
  client: Client;
  clockOffsetMs: number;
  /** Customer IDs whose workflows (and journeys) to watch. */
  customers: () => string[];
  /** Longest real time to wait for the engine to go idle after a step. */
  settleTimeoutMs?: number;
}

/** A workflow whose workflow task failed and has not completed one since: its code throws (a bug). */
export class WorkflowTaskFailedError extends Error {
  constructor(
    readonly workflowId: string,
    readonly failure: string,
  ) {
    super(`a workflow task of ${workflowId} failed: ${failure}`);
    this.name = 'WorkflowTaskFailedError';
  }
}

const WAKE_SLACK_MS = 1000;
/** How long a query may take before the driver looks for a failed workflow task (then it asks again). */
const QUERY_PATIENCE_MS = 5_000;
const { EventType } = temporal.api.enums.v1;
const sleepReal = (ms: number) => new Promise((r) => setTimeout(r, ms));

const locked = new WeakSet<TestWorkflowEnvironment>();

/**
 * The Java test server started with --enable-time-skipping begins *unlocked*: whenever no workflow task
 * holds it, it jumps to the next timer anywhere (we saw a 10-year jump to a workflow timeout). Lock it
 * once; from then on only this driver moves the clock.
 */
export async function lockClock(env: TestWorkflowEnvironment): Promise<void> {
  if (locked.has(env)) return;
  await env.connection.testService?.lockTimeSkipping({});
  locked.add(env);
}

export function createSimulationClock(o: SimulationClockOptions): SimulationClock {
  const { env, client } = o;
  const settleTimeoutMs = o.settleTimeoutMs ?? 60_000;

  async function serverNow(): Promise<number> {
    return env.currentTimeMs();
  }

  /** A query that cannot hang: past its deadline, a failed workflow task throws WorkflowTaskFailedError. */
  async function ask<T>(workflowId: string, query: QueryDefinition<T>): Promise<T> {
    const giveUp = Date.now() + settleTimeoutMs;
    for (;;) {
      try {
        return await client.withDeadline(Date.now() + QUERY_PATIENCE_MS, () => client.workflow.getHandle(workflowId).query(query));
      } catch (err) {
        // A query to a workflow whose task failed can also end CANCELLED rather than at its deadline (seen once
        // under load on the test server): look at the history either way. When the failure watch aborted the
        // call, the history read is cancelled too and the watch's failure is what simulate reports.
        if (!isGrpcDeadlineError(err) && !isGrpcCancelledError(err)) throw err;
        const failure = await failedTask(workflowId);
        if (failure !== undefined) throw new WorkflowTaskFailedError(workflowId, failure);
        if (Date.now() > giveUp) throw new Error(`${workflowId} did not answer a query within ${settleTimeoutMs / 1000}s; see its history`);
      }
    }
  }

  /** The failure of the workflow's last workflow task, when it failed and none has completed since. */
  async function failedTask(workflowId: string): Promise<string | undefined> {
    let failure: string | undefined;
    for (const e of (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []) {
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) failure = e.workflowTaskFailedEventAttributes?.failure?.message ?? 'unknown error';
      else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) failure = undefined;
    }
    return failure;
  }

  async function runningJourneyIds(customerId: string): Promise<string[]> {
    const runs = await ask(`customer:${customerId}`, journeysQuery);
    return [...new Set(runs.filter((r) => r.status === 'running').map((r) => r.workflowId))];
  }

  /** One describe per workflow: whether the server still has work for it, and its history length. */
  async function inspect(workflowId: string): Promise<{ running: boolean; busy: boolean; historyLength: number }> {
    const d = await client.workflow.getHandle(workflowId).describe();
    const running = d.status.name === 'RUNNING';
    const busy = running && ((d.raw.pendingActivities?.length ?? 0) > 0 || Boolean(d.raw.pendingWorkflowTask));
    return { running, busy, historyLength: d.historyLength };
  }

  /** One observation: idle, plus the earliest wake-up (engine ms) among the watched workflows. */
  async function observe(): Promise<{ idle: boolean; signature: string; nextWake?: number; busy: string[] }> {
    let idle: boolean;
    const busy: string[] = [];
    let nextWake: number | undefined;
    const parts: string[] = [];
    const consider = (iso?: string) => {
      if (!iso) return;
      const t = Date.parse(iso);
      if (nextWake === undefined || t < nextWake) nextWake = t;
    };
    for (const customerId of o.customers()) {
      const id = `customer:${customerId}`;
      const c = await inspect(id);
      if (c.busy) busy.push(`${id} has a pending workflow task or activity`);
      parts.push(`${id}:${c.historyLength}`);
      const a = await ask(id, workQuery);
      if (a.inbox > 0 || a.inFlight > 0) busy.push(`${id} has ${a.inbox} queued and ${a.inFlight} in-flight deliveries`);
      consider(a.nextDeferred);
      const deferred = new Set(a.deferred ?? []);
      for (const jid of await runningJourneyIds(customerId)) {
        const j = await inspect(jid);
        parts.push(`${jid}:${j.historyLength}`);
        if (!j.running) continue;
        if (j.busy) busy.push(`${jid} has a pending workflow task or activity`);
        const s = await ask(jid, journeyStatusQuery);
        // Waiting on a deferred delivery (quiet hours, paused) is idle: the customer's timer wakes it.
        if (s.sending && !deferred.has(s.sending)) busy.push(`${jid} waits for the result of delivery ${s.sending}`);
        consider(s.wakeAt);
      }
    }
    idle = busy.length === 0;
    return { idle, signature: parts.join(','), nextWake, busy };
  }

  let lastBusy: string[] = [];
  async function settle(): Promise<{ nextWake?: number }> {
    const deadline = Date.now() + settleTimeoutMs;
    let previous: string | undefined;
    for (;;) {
      const o1 = await observe();
      lastBusy = o1.busy;
      // Idle twice in a row with no new history in between: nothing is on its way.
      if (o1.idle && o1.signature === previous) return { nextWake: o1.nextWake };
      previous = o1.idle ? o1.signature : undefined;
      if (Date.now() > deadline) {
        const why = lastBusy.length ? lastBusy.join('; ') : 'workflow histories kept growing';
        throw new Error(
          `the engine did not go idle within ${settleTimeoutMs / 1000}s: ${why}. A workflow may be stuck; see its history (activity failures show there).`,
        );
      }
      await sleepReal(o1.idle ? 30 : 60);
    }
  }

  const clock: SimulationClock = {
    query: ask,
    async now() {
      await lockClock(env);
      return new Date((await serverNow()) - o.clockOffsetMs);
    },
    async settle() {
      await lockClock(env);
      await settle();
    },
    async advanceTo(until) {
      await lockClock(env);
      const target = until.getTime() + o.clockOffsetMs; // server time
      for (;;) {
        const { nextWake } = await settle();
        const now = await serverNow();
        const wakeServer = nextWake !== undefined ? nextWake + o.clockOffsetMs : undefined;
        const toTarget = wakeServer === undefined || wakeServer + WAKE_SLACK_MS >= target;
        // A timer fires a few ms after the wake time its workflow reported (it started when the workflow
        // task completed): step a second past it so it has surely fired.
        const stepTo = toTarget ? target : Math.max(wakeServer + WAKE_SLACK_MS, now + 1);
        if (stepTo > now) await env.sleep(stepTo - now);
        if (toTarget) {
          await settle();
          return;
        }
      }
    },
  };
  return clock;
}
