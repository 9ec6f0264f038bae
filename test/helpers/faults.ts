// Shared by the fault, hostile-input and soak tests: the fast-running test journeys, bounded waits, an HTTP
// client that retries like a careful API client, and per-recipient counts of what reached the SMTP sink.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { ParsedMail } from 'mailparser';
import { sendEvent } from '../../client/events';
import type { EngineConfig } from '../../domain/engineConfig';
import { customerWorkflowId, ledgerQuery } from '../../domain/messages';
import { bundleReplacing } from './engine';
import { eventually } from './eventually';
import { recipient, type SmtpSink } from '../../harness/smtpSink';
import { postJson } from '../../harness/http';

export { perRecipient } from '../../harness/smtpSink';
export { postJson, sleep, type JsonAnswer } from '../../harness/http';

/** The engine bundled with test/fixtures/journeys/faultsIndex.ts: the shipped journeys plus fast-cart and
 *  fast-welcome, whose waits are given in milliseconds by the trigger event. */
export function bundleWithFaultJourneys() {
  return bundleReplacing('workflows', '../journeys', join(__dirname, '..', 'fixtures', 'journeys', 'faultsIndex.ts'));
}

/** Polls `check` every 100 ms until it holds; throws after `timeoutMs` with `what` and `detail()` (eventually()). */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, detail?: () => string): Promise<void> {
  await eventually(what, check, { timeoutMs, intervalMs: 100, detail });
}

/** Subjects per recipient, for failure messages. */
export function subjectsOf(mails: ParsedMail[], address: string): string[] {
  return mails.filter((m) => recipient(m) === address).map((m) => m.subject ?? '');
}

export interface Delivery {
  /** Every status the client saw, in order (the last one is 200). */
  statuses: number[];
  /** Network errors (connection refused …) the client retried. */
  networkErrors: number;
}

/** What a careful client does: POST the same body (same messageIds) until a 200, waiting `intervalMs` (or
 *  Retry-After, capped) between attempts. Gives up after `timeoutMs`. */
export async function postUntilAccepted(base: string, path: string, body: unknown, key: string, timeoutMs = 90_000, intervalMs = 500): Promise<Delivery> {
  const result: Delivery = { statuses: [], networkErrors: 0 };
  await eventually(
    `${path} to be accepted`,
    async () => {
      let res: Awaited<ReturnType<typeof postJson>>;
      try {
        res = await postJson(base, path, body, key);
      } catch {
        result.networkErrors += 1;
        return false;
      }
      result.statuses.push(res.status);
      if (res.status !== 200 && res.status !== 503 && res.status !== 429)
        throw new Error(`${path} answered ${res.status}, which retrying does not fix: ${JSON.stringify(res.body)}`);
      return res.status === 200;
    },
    { timeoutMs, intervalMs, detail: () => `statuses ${result.statuses.join(',')}, ${result.networkErrors} network errors` },
  );
  return result;
}

/** One line a test prints for docs/reliability.md (grep the jest output for "[reliability]"). */
export function reliabilityLine(text: string): void {
  console.log(`[reliability] ${text}`);
}

/** The worker's identity as it printed it at start ("worker polling … as <identity>"): what the server
 *  records as the worker that ran each task. */
export function workerIdentity(output: string): string {
  const m = /worker polling .* as (\S+)\s*$/m.exec(output);
  if (!m) throw new Error(`the worker did not print its identity; it printed: ${output.slice(-500)}`);
  return m[1];
}

/** The deliver activities the server sees as started by `identity` and not finished, by workflow ID. Asked
 *  right after that worker is SIGKILLed (before the heartbeat timeout), these are the sends it had running
 *  at the kill: the server hands them to another worker only once they time out. */
export async function sendsRunningOn(client: Client, workflowIds: string[], identity: string): Promise<Map<string, number>> {
  const running = new Map<string, number>();
  const queue = [...workflowIds];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        const { raw } = await client.workflow.getHandle(id).describe();
        const n = (raw.pendingActivities ?? []).filter(
          (a) =>
            a.activityType?.name === 'deliver' &&
            a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
            a.lastWorkerIdentity === identity,
        ).length;
        if (n) running.set(id, n);
      }
    }),
  );
  return running;
}

/** Waits until every customer's ledger records `template` as sent: the send a dead worker had running is
 *  retried only after its heartbeat timeout, so a mail at the SMTP server is not yet the end of it. */
export async function untilRecordedAsSent(client: Client, customerIds: string[], template: string, timeoutMs: number): Promise<void> {
  const unsettled = new Set(customerIds);
  await until(
    `every ${template} recorded as sent on its customer`,
    async () => {
      for (const id of [...unsettled]) {
        const ledger = await client.workflow.getHandle(customerWorkflowId(id)).query(ledgerQuery);
        if (ledger.some((e) => e.template === template && e.status === 'sent')) unsettled.delete(id);
      }
      return unsettled.size === 0;
    },
    timeoutMs,
    () => [...unsettled].join(', '),
  );
}

export interface KillOutcome {
  mailed: number;
  lost: number;
  /** Extra copies beyond one per customer. */
  duplicated: number;
  /** Sends the dead worker had running at the kill. */
  runningAtKill: number;
}

/**
 * The guarantee a worker crash keeps (README "Reliability", docs/reliability.md), asserted the same way by
 * every test that kills a worker mid-send:
 * - every customer got the mail;
 * - a duplicate is the same message as its original (same Message-ID, the idempotency key), which a relay
 *   or mailbox drops;
 * - only a send the dead worker had running at the kill can repeat (the SMTP server had taken the message,
 *   the worker died before it journaled the answer), so there are no more duplicates than such sends, and
 *   each duplicated customer had one.
 */
export function expectKillGuarantee(customers: Array<{ id: string; address: string }>, mails: ParsedMail[], runningAtKill: Map<string, number>): KillOutcome {
  const byAddress = new Map<string, ParsedMail[]>();
  for (const m of mails) byAddress.set(String(recipient(m)), [...(byAddress.get(String(recipient(m))) ?? []), m]);
  const missing = customers.filter((c) => !byAddress.has(c.address)).map((c) => c.id);
  const doubled = customers.filter((c) => (byAddress.get(c.address)?.length ?? 0) > 1);
  const asAnotherMessage = doubled.filter((c) => new Set(byAddress.get(c.address)!.map((m) => m.messageId)).size > 1).map((c) => c.id);
  const notRunningAtKill = doubled.filter((c) => !runningAtKill.has(customerWorkflowId(c.id))).map((c) => c.id);
  const duplicated = doubled.reduce((n, c) => n + byAddress.get(c.address)!.length - 1, 0);
  const running = [...runningAtKill.values()].reduce((a, b) => a + b, 0);
  expect({ missing, asAnotherMessage, notRunningAtKill }).toEqual({ missing: [], asAnotherMessage: [], notRunningAtKill: [] });
  expect(duplicated).toBeLessThanOrEqual(running);
  return { mailed: customers.length - missing.length, lost: missing.length, duplicated, runningAtKill: running };
}

/**
 * How long after the SMTP server's 250 the worker journaled each message that arrived once (outbox `at`
 * minus the sink's acceptance), in ms, sorted: the window in which a crash can still send a message twice.
 */
export function replyToJournalMs(sink: SmtpSink, outboxDir: string): number[] {
  const journaled = new Map<string, number>();
  for (const file of existsSync(outboxDir) ? readdirSync(outboxDir) : []) {
    for (const line of readFileSync(join(outboxDir, file), 'utf8').split('\n')) {
      try {
        const e = JSON.parse(line) as { result: { providerId: string }; at?: number };
        if (e.at !== undefined && !journaled.has(e.result.providerId)) journaled.set(e.result.providerId, e.at);
      } catch {
        // blank or torn line
      }
    }
  }
  const copies = new Map<string, number>();
  for (const m of sink.mails) if (m.messageId) copies.set(m.messageId, (copies.get(m.messageId) ?? 0) + 1);
  const gaps: number[] = [];
  for (const m of sink.mails) {
    // A message that arrived twice was, by definition, not journaled in time the first time: it is the
    // duplicate the guarantee allows, counted there, not a measure of the window.
    if (!m.messageId || copies.get(m.messageId)! > 1) continue;
    const at = journaled.get(m.messageId);
    const accepted = sink.acceptedAt(m);
    if (at !== undefined && accepted !== undefined) gaps.push(at - accepted);
  }
  return gaps.sort((a, b) => a - b);
}

/** "p50 1 ms, p99 4 ms, max 9 ms over 200" */
export function describeGaps(gaps: number[]): string {
  if (!gaps.length) return 'no journaled messages';
  const q = (p: number) => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))];
  return `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${gaps[gaps.length - 1]} ms over ${gaps.length} messages`;
}

/** Signs customers up as the fault tests do: for each id, identify with `<id>@<domain>` and then
 *  user.signed_up (one welcome mail due each), `concurrency` customers at a time. */
export async function signUpForWelcome(
  client: Client,
  ids: string[],
  o: { taskQueue: string; engine: Partial<EngineConfig>; domain: string; concurrency: number },
): Promise<void> {
  const queue = [...ids];
  const options = { taskQueue: o.taskQueue, engine: o.engine };
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        const identify = {
          messageId: `${id}-identify`,
          type: 'identify',
          customerId: id,
          name: 'identify',
          properties: {},
          traits: { email: `${id}@${o.domain}` },
          context: {},
        } as const;
        await sendEvent(client, identify, options);
        await sendEvent(
          client,
          { messageId: `${id}-signup`, type: 'track', customerId: id, name: 'user.signed_up', properties: {}, traits: {}, context: {} },
          options,
        );
      }
    }),
  );
}
