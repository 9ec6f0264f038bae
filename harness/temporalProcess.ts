// A Temporal dev server as a child process we control (the way `npm start` runs it): state in a SQLite
// file, so a test can stop it (an outage) and start it again on the same port and file.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from '../worker/searchAttributes';
import { eventually } from './eventually';
import { toolPaths } from './tools';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface TemporalProcess {
  address: string;
  /** Stops the server (SIGTERM, SIGKILL after 10 s); its state stays in the SQLite file. With `{ kill: true }`
   *  it is SIGKILLed at once (a crash: no shutdown, whatever was in flight is cut off). */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** The server's process id while it runs (for memory sampling). */
  pid(): number | undefined;
  /** Starts it again on the same port and file, and waits until it serves the namespace. */
  start(): Promise<void>;
}

export async function startTemporalProcess(dbFile: string, timeoutMs = 60_000, extraArgs: string[] = []): Promise<TemporalProcess> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  let output = '';

  async function waitUntilServing(): Promise<void> {
    let notYet = '';
    await eventually(
      `temporal server on ${address} to serve the default namespace`,
      async () => {
        // Exited: no point waiting (and its output says why).
        if (proc && (proc.exitCode !== null || proc.signalCode !== null))
          throw new Error(`temporal server exited (${proc.exitCode ?? proc.signalCode}):\n${output}`);
        try {
          const c = await Connection.connect({ address, connectTimeout: 2000 });
          try {
            await c.withDeadline(Date.now() + 2000, () => c.workflowService.describeNamespace({ namespace: 'default' }));
            return true;
          } finally {
            await c.close();
          }
        } catch (err) {
          notYet = (err as Error).message;
          return false;
        }
      },
      { timeoutMs, intervalMs: 250, detail: () => `${notYet}\n${output}` },
    );
  }

  const handle: TemporalProcess = {
    address,
    async start() {
      output = '';
      proc = spawn(
        toolPaths().temporalCli,
        [
          'server',
          'start-dev',
          '--db-filename',
          dbFile,
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--headless',
          '--log-level',
          'error',
          ...devServerSearchAttributeArgs(),
          ...extraArgs,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const keep = (c: Buffer) => void (output = (output + c.toString()).slice(-4000));
      proc.stdout?.on('data', keep);
      proc.stderr?.on('data', keep);
      await waitUntilServing();
    },
    pid: () => (proc && proc.exitCode === null && proc.signalCode === null ? proc.pid : undefined),
    async stop(options = {}) {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill(options.kill ? 'SIGKILL' : 'SIGTERM');
      const killer = setTimeout(() => p.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
  await handle.start();
  return handle;
}
