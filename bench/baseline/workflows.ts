// The baselines: the plainest Temporal workflows that do what each workload measures, with none of the
// engine (no customer entity, no journeys, no delivery policy, no templates, no payload codec). Bundled
// on their own (bench/baseline/worker.ts), so workflows/ is untouched.
import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { BaselineActivities, Mail } from './activities';

const { sendEmail, capture } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** ingest: any payload; the trivial workflow does nothing with it. */
export const pingSignal = defineSignal<[unknown]>('ping');
/** e2e and cost: one email per signal. */
export const sendSignal = defineSignal<[Mail]>('send');
/** idle: the event that wakes a waiting workflow. */
export const wakeSignal = defineSignal<[Mail]>('wake');

/** ingest baseline: signal-with-start of this, nothing else (no worker polls its queue during ingest). */
export async function baselineTrivial(): Promise<void> {
  let n = 0;
  setHandler(pingSignal, () => void n++);
  await condition(() => n < 0);
}

/** e2e baseline: a long-lived workflow per recipient that sends one nodemailer email per `send` signal. */
export async function baselineMailer(): Promise<void> {
  const queue: Mail[] = [];
  setHandler(sendSignal, (mail) => void queue.push(mail));
  for (;;) {
    await condition(() => queue.length > 0);
    await sendEmail(queue.shift() as Mail);
  }
}

/** idle baseline: one email on entry, then wait for `wake` or 30 days; on wake, one more email and done. */
export async function baselineIdle(welcome: Mail): Promise<void> {
  let wake: Mail | undefined;
  setHandler(wakeSignal, (mail) => void (wake = mail));
  await sendEmail(welcome);
  if (await condition(() => wake !== undefined, '30 days')) await sendEmail(wake as Mail);
}

/** simulate baseline: a timer to each of the scenario's message times and one no-op activity each, on the
 *  time-skipping server with its clock locked and moved by bench/simulate.ts (as simulate/clock.ts does). */
export async function baselineTimeline(waitsMs: number[]): Promise<number> {
  let sent = 0;
  for (const ms of waitsMs) {
    if (ms > 0) await sleep(ms);
    await capture(`message ${++sent}`);
  }
  return sent;
}
