// idle: many customers, each in a journey that waits (for an event, or a timer months away). Time to enter
// them all, worker RSS and dev-server database size at rest, then one event each to wake them all, and the
// time until every one of them has been handled.
//   engine: /v1/batch (identify + pet.adopted) → pet-lifecycle sends its welcome mail, then waits for
//           pet.updated or its next milestone (~10 months away). Wake: pet.deceased → the pet-lifecycle run
//           exits and pet-condolence sends one mail. Drained = every condolence mail received and no
//           pet-lifecycle run left running.
//   baseline: baselineIdle sends one mail, then waits for a `wake` signal or 30 days; on wake, one more mail.
import { performance } from 'node:perf_hooks';
import type { Infra, ChildProc } from './infra';
import { BASELINE_QUEUE, WRITE_KEY } from './infra';
import { closedLoop, round, sleep, waitUntil } from './load';
import { progress, type IdleResult, type IdleSide } from './report';
import { benchAddress } from './sink';

export interface IdleSize {
  customers: number;
  concurrency: number;
  settleSec: number;
  timeoutSec: number;
}

const MB = 2 ** 20;
let runs = 0;

/** A birth date two years and ~2 months ago: an adult dog whose next milestone is ~10 months away. */
function birthDate(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear() - 3, now.getUTCMonth(), now.getUTCDate() + 300)).toISOString().slice(0, 10);
}

interface SideOps {
  worker: ChildProc;
  enter(i: number): Promise<void>;
  wake(i: number): Promise<void>;
  /** Workflows still waiting (visibility), to know the wake has reached every one. */
  stillWaiting(): Promise<number>;
}

function engineOps(infra: Infra, group: string): SideOps {
  const post = async (body: unknown) => {
    const res = await fetch(`${infra.api.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  };
  const born = birthDate();
  return {
    worker: infra.engineWorker,
    enter: (i) =>
      post({
        batch: [
          { type: 'identify', userId: `${group}-${i}`, traits: { email: benchAddress(group, i), firstName: 'Bench' }, messageId: `${group}-${i}-identify` },
          {
            type: 'track',
            userId: `${group}-${i}`,
            event: 'pet.adopted',
            properties: { petId: 'p1', name: 'Rex', species: 'dog', breed: 'Labrador Retriever', birthDate: born },
            messageId: `${group}-${i}-adopted`,
          },
        ],
      }),
    wake: (i) =>
      post({
        batch: [
          { type: 'track', userId: `${group}-${i}`, event: 'pet.deceased', properties: { petId: 'p1', name: 'Rex' }, messageId: `${group}-${i}-deceased` },
        ],
      }),
    stillWaiting: async () => (await infra.client.workflow.count(`JourneyName = "pet-lifecycle" AND ExecutionStatus = "Running"`)).count,
  };
}

function baselineOps(infra: Infra, group: string): SideOps {
  return {
    worker: infra.baselineWorker,
    enter: async (i) => {
      await infra.client.workflow.start('baselineIdle', {
        workflowId: `baseline-${group}-${i}`,
        taskQueue: BASELINE_QUEUE,
        args: [{ to: benchAddress(group, i), subject: 'Welcome, Rex!', text: 'Welcome to the family.' }],
      });
    },
    wake: (i) =>
      infra.client.workflow
        .getHandle(`baseline-${group}-${i}`)
        .signal('wake', { to: benchAddress(group, i), subject: 'We are sorry', text: 'Our condolences.' }),
    stillWaiting: async () => (await infra.client.workflow.count(`WorkflowType = "baselineIdle" AND ExecutionStatus = "Running"`)).count,
  };
}

async function side(infra: Infra, name: 'engine' | 'baseline', size: IdleSize): Promise<IdleSide> {
  const group = `idle${++runs}${name[0]}`;
  const ops = name === 'engine' ? engineOps(infra, group) : baselineOps(infra, group);
  const n = size.customers;
  const dbBefore = infra.dbBytes();
  const rssByEntered: IdleSide['rssByEntered'] = [];
  const timeout = size.timeoutSec * 1000;

  progress(`idle: ${name}, entering ${n} customers (concurrency ${size.concurrency})`);
  const t0 = performance.now();
  const entering = closedLoop(n, size.concurrency, ops.enter);
  let quarter = 1;
  const entered = await waitUntil(
    () => {
      const got = infra.sink.count(group, 1);
      if (quarter <= 4 && got >= (n * quarter) / 4) {
        const m = ops.worker.memory();
        while (quarter <= 4 && got >= (n * quarter) / 4) {
          rssByEntered.push({ entered: got, rssMB: m ? round(m.rss / MB) : null });
          quarter += 1;
        }
        if (got < n) progress(`idle: ${name} ${got}/${n} entered, worker RSS ${m ? round(m.rss / MB) : '?'} MB`);
      }
      return got >= n;
    },
    timeout,
    100,
  );
  const enterLoad = await entering;
  const enterMs = round(performance.now() - t0, 0);
  if (!entered) progress(`idle: ${name}: only ${infra.sink.count(group, 1)} of ${n} entered within ${size.timeoutSec} s`);
  else progress(`idle: ${name}: all ${n} entered in ${round(enterMs / 1000)} s (${round(n / (enterMs / 1000))}/s)`);

  await sleep(size.settleSec * 1000);
  const rest = ops.worker.memory();
  const dbAtRest = infra.dbBytes();
  progress(
    `idle: ${name} at rest: worker RSS ${rest ? round(rest.rss / MB) : '?'} MB (peak ${rest ? round(rest.peak / MB) : '?'} MB), database ${round(dbAtRest / MB)} MB`,
  );

  progress(`idle: ${name}, waking all ${n}`);
  const t1 = performance.now();
  const wakeLoad = await closedLoop(n, size.concurrency, ops.wake);
  const woke = await waitUntil(async () => infra.sink.count(group, 2) >= wakeLoad.ok && (await ops.stillWaiting()) === 0, timeout, 250);
  const wakeMs = round(performance.now() - t1, 0);
  const after = ops.worker.memory();
  progress(
    `idle: ${name}: ${woke ? 'drained' : 'NOT drained'} in ${round(wakeMs / 1000)} s (${round(n / (wakeMs / 1000))}/s), worker RSS ${after ? round(after.rss / MB) : '?'} MB (peak ${after ? round(after.peak / MB) : '?'} MB)`,
  );

  return {
    customers: n,
    entered: infra.sink.count(group, 1),
    enterMs,
    enterPerSec: round(n / (enterMs / 1000)),
    enterErrors: enterLoad.errors,
    workerRssMB: rest ? round(rest.rss / MB) : null,
    workerPeakRssMB: rest ? round(rest.peak / MB) : null,
    rssByEntered,
    dbMB: round(dbAtRest / MB),
    dbGrowthMB: round((dbAtRest - dbBefore) / MB),
    wakeMs,
    wakePerSec: round(n / (wakeMs / 1000)),
    wakeErrors: wakeLoad.errors,
    drained: woke,
    workerRssAfterWakeMB: after ? round(after.rss / MB) : null,
    workerPeakRssThroughWakeMB: after ? round(after.peak / MB) : null,
    ...(enterLoad.firstError || wakeLoad.firstError ? { firstError: enterLoad.firstError ?? wakeLoad.firstError } : {}),
  };
}

export async function runIdle(infra: Infra, size: IdleSize): Promise<IdleResult> {
  const engine = await side(infra, 'engine', size);
  const baseline = await side(infra, 'baseline', size);
  return {
    customers: size.customers,
    concurrency: size.concurrency,
    engineJourney:
      'pet-lifecycle: welcome mail, then waits for pet.updated or its next milestone (~10 months); wake: pet.deceased (run exits, pet-condolence mails)',
    baselineWorkflow: 'baselineIdle: one mail, then condition(wake, 30 days); wake: signal → one mail',
    engine,
    baseline,
    ratios: {
      enterTime: round(engine.enterMs / baseline.enterMs, 2),
      workerRss: engine.workerRssMB && baseline.workerRssMB ? round(engine.workerRssMB / baseline.workerRssMB, 2) : null,
      dbGrowth: baseline.dbGrowthMB > 0 ? round(engine.dbGrowthMB / baseline.dbGrowthMB, 2) : null,
      wakeTime: round(engine.wakeMs / baseline.wakeMs, 2),
    },
    target: { workerRssMB: 500, wakePeakRssMB: 800 },
    meetsTarget: engine.workerRssMB !== null && engine.workerRssMB <= 500 && (engine.workerPeakRssMB ?? 0) <= 500,
    meetsWakePeakTarget: (engine.workerPeakRssThroughWakeMB ?? Number.POSITIVE_INFINITY) <= 800,
  };
}
