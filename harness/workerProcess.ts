// The worker as its own OS process (worker/main.ts, as `npm start` and production run it), so a test can
// SIGKILL it mid-flight and start another.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startTsxProcess } from './tsxProcess';

export interface WorkerProcess {
  proc: ChildProcess;
  /** Everything the process printed (for failure messages). */
  output(): string;
  /** Signals the worker and its tsx wrapper (the whole process group) and waits for tsx to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startWorkerProcess(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<WorkerProcess> {
  const { proc, output, signalGroup, exited } = await startTsxProcess(join('worker', 'main.ts'), env, /worker polling/, readyTimeoutMs);
  return {
    proc,
    output,
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) signalGroup(signal);
      await exited;
      signalGroup('SIGKILL'); // whatever of the group outlived tsx (a worker still shutting down after SIGTERM)
    },
  };
}
