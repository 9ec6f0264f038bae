// The outbox journal: which idempotency keys this host's workers have already handed to a provider.
// A worker that dies after the provider accepted a message but before Temporal recorded the activity's
// completion would send it again on retry; a retried attempt checks the journal (and the attempt's last
// heartbeat, which covers a retry on another host) and returns the recorded result instead.
//
// One append-only file per UTC day under <dataDir>/outbox; lines are short JSON, appended with O_APPEND
// (atomic for one line), so several worker processes on one host can share it. Only retries read it.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeliverOutput } from '../domain/delivery';

export interface Outbox {
  find(idempotencyKey: string): DeliverOutput | undefined;
  record(idempotencyKey: string, result: DeliverOutput): void;
}

const DAY = 86_400_000;
/** Longer than the deliver activity's scheduleToClose (2 days): no retry can come later than this. */
const KEEP_DAYS = 3;

export function createOutbox(dir: string, now: () => number = Date.now): Outbox {
  mkdirSync(dir, { recursive: true });
  const fileFor = (t: number) => join(dir, `${new Date(t).toISOString().slice(0, 10)}.jsonl`);
  return {
    find(key) {
      for (let d = 0; d < KEEP_DAYS; d++) {
        let text: string;
        try {
          text = readFileSync(fileFor(now() - d * DAY), 'utf8');
        } catch {
          continue;
        }
        for (const line of text.split('\n')) {
          if (!line.includes(key)) continue;
          try {
            const entry = JSON.parse(line) as { key: string; result: DeliverOutput };
            if (entry.key === key) return entry.result;
          } catch {
            // a torn last line from a killed process: ignore it
          }
        }
      }
      return undefined;
    },
    record(key, result) {
      const at = now();
      // `at` is when the provider's answer was journaled: how long after the provider's acceptance that comes
      // is the window in which a crash can still send the message twice (docs/reliability.md).
      appendFileSync(fileFor(at), `${JSON.stringify({ key, result, at })}\n`);
    },
  };
}
