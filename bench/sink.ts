// A lean SMTP sink for the bench: a real SMTP server on loopback that records when each message arrived
// and to whom (from the envelope), without parsing the mail, so the measuring process stays light.
// Addresses are `<group>-<n>@bench.test`; per group it counts how many addresses have at least k mails.
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface BenchSink {
  port: number;
  /** Arrival times (performance.now() ms) of the mails to this address, in order. */
  arrivals(address: string): number[] | undefined;
  /** Addresses of `group` that have received at least `k` mails (k ≥ 1). */
  count(group: string, k?: number): number;
  /** All mails received. */
  total(): number;
  close(): Promise<void>;
}

export const benchAddress = (group: string, n: number): string => `${group}-${n}@bench.test`;

function groupOf(address: string): string {
  const local = address.slice(0, address.indexOf('@'));
  const dash = local.lastIndexOf('-');
  return dash > 0 ? local.slice(0, dash) : local;
}

export async function startBenchSink(): Promise<BenchSink> {
  const times = new Map<string, number[]>();
  const groups = new Map<string, number[]>();
  let total = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    maxClients: 1000,
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        const at = performance.now();
        for (const rcpt of session.envelope.rcptTo) {
          const address = rcpt.address.toLowerCase();
          const list = times.get(address) ?? [];
          list.push(at);
          times.set(address, list);
          const g = groupOf(address);
          const counts = groups.get(g) ?? [];
          counts[list.length - 1] = (counts[list.length - 1] ?? 0) + 1;
          groups.set(g, counts);
        }
        total += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    arrivals: (address) => times.get(address.toLowerCase()),
    count: (group, k = 1) => groups.get(group.toLowerCase())?.[k - 1] ?? 0,
    total: () => total,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
