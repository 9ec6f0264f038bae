// The worker as its own OS process (worker/main.ts, as `npm start` and production run it), so a test can
// SIGKILL it mid-flight and start another.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

export interface WorkerProcess {
  proc: ChildProcess;
  /** Everything the process printed (for failure messages). */
  output(): string;
  /** Signals the worker and its tsx wrapper (the whole process group) and waits for tsx to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startWorkerProcess(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<WorkerProcess> {
  // Its own process group: tsx runs the worker in a child node process, and a SIGKILL of tsx alone would
  // leave that child running (an orphan that goes on polling). Signals go to the whole group.
  const proc = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'worker', 'main.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-proc.pid!, signal);
    } catch {
      // already gone
    }
  };
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const deadline = Date.now() + readyTimeoutMs;
  while (!/worker polling/.test(out)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      signalGroup('SIGKILL');
      throw new Error(`worker did not start: ${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    output: () => out,
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) signalGroup(signal);
      await exited;
      signalGroup('SIGKILL'); // whatever of the group outlived tsx (a worker still shutting down after SIGTERM)
    },
  };
}
