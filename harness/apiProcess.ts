// The ingest API as its own OS process (api/main.ts, as `npm start` and production run it), with its output
// captured: for the log checks and the soak run.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTsxProcess } from './tsxProcess';

export interface ApiProcess {
  proc: ChildProcess;
  url: string;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM (a graceful close), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** Starts `tsx api/main.ts` with `env` (API_PORT among them) and waits until it listens. */
export async function startApiProcess(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<ApiProcess> {
  const { proc, ready, output, signalGroup, exited } = await startTsxProcess(join('api', 'main.ts'), env, /ingest API on (http:\/\/\S+)/, readyTimeoutMs);
  return {
    proc,
    url: ready[1],
    output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        signalGroup('SIGTERM');
        const killer = setTimeout(() => signalGroup('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      signalGroup('SIGKILL');
    },
  };
}

/** The process ids of `pid` and all its descendants (tsx runs node as a child): for memory sampling. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone
    }
  }
  const all: number[] = [];
  const walk = (p: number) => {
    all.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return all;
}

/** Resident memory of a process and its descendants, in bytes (Linux /proc). */
export function treeRss(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}
