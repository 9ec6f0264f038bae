// Shared by the fault, hostile-input and soak tests: the fast-running test journeys, bounded waits, an HTTP
// client that retries like a careful API client, and per-recipient counts of what reached the SMTP sink.
import { join } from 'node:path';
import type { ParsedMail } from 'mailparser';
import { bundleReplacing } from './engine';
import { recipient } from './smtpSink';

/** The engine bundled with test/fixtures/journeys/faultsIndex.ts: the shipped journeys plus fast-cart and
 *  fast-welcome, whose waits are given in milliseconds by the trigger event. */
export function bundleWithFaultJourneys() {
  return bundleReplacing('workflows', '../journeys', join(__dirname, '..', 'fixtures', 'journeys', 'faultsIndex.ts'));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it holds; throws after `timeoutMs` with `what` and `detail()`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await sleep(100);
  }
}

/** How many mails each recipient got. */
export function perRecipient(mails: ParsedMail[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of mails) counts.set(String(recipient(m)), (counts.get(String(recipient(m))) ?? 0) + 1);
  return counts;
}

/** Subjects per recipient, for failure messages. */
export function subjectsOf(mails: ParsedMail[], address: string): string[] {
  return mails.filter((m) => recipient(m) === address).map((m) => m.subject ?? '');
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of many shapes, checked by the tests
  body: any;
}

/** POSTs JSON with a write key (Bearer). */
export async function postJson(base: string, path: string, body: unknown, key: string): Promise<JsonAnswer> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: parsed };
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
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await postJson(base, path, body, key);
      result.statuses.push(res.status);
      if (res.status === 200) return result;
      if (res.status !== 503 && res.status !== 429) throw new Error(`${path} answered ${res.status}, which retrying does not fix: ${JSON.stringify(res.body)}`);
    } catch (err) {
      if ((err as Error).message.includes('which retrying does not fix')) throw err;
      result.networkErrors += 1;
    }
    if (Date.now() > deadline) throw new Error(`${path} not accepted within ${timeoutMs} ms; statuses ${result.statuses.join(',')}, ${result.networkErrors} network errors`);
    await sleep(intervalMs);
  }
}

/** One line a test prints for docs/reliability.md (grep the jest output for "[reliability]"). */
export function reliabilityLine(text: string): void {
  console.log(`[reliability] ${text}`);
}
