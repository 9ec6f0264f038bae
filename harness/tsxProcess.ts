// One of the engine's entry points (worker/main.ts, api/main.ts) as its own OS process, the way `npm start`
// and production run it, with its output captured. It gets its own process group: tsx runs the entry in a
// child node process, and a signal to tsx alone would leave that child running as an orphan.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from './eventually';

const root = join(__dirname, '..');

export interface TsxProcess {
  proc: ChildProcess;
  /** The match of the readiness pattern in the output. */
  ready: RegExpExecArray;
  /** Everything the process printed so far. */
  output(): string;
  /** Signals the whole process group (a no-op once it is gone). */
  signalGroup(signal: NodeJS.Signals): void;
  /** Resolves when tsx has exited. */
  exited: Promise<void>;
}

/** Starts `tsx <entry>` with `env` and waits until its output matches `ready`. */
export async function startTsxProcess(entry: string, env: Record<string, string>, ready: RegExp, readyTimeoutMs = 60_000): Promise<TsxProcess> {
  const proc = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, entry)], {
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
  let match: RegExpExecArray;
  try {
    match = await eventually(
      `${entry} to print ${ready}`,
      () => {
        const m = ready.exec(out);
        if (!m && proc.exitCode !== null) throw new Error(`exited (${proc.exitCode})`);
        return m;
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 100 },
    );
  } catch {
    signalGroup('SIGKILL');
    throw new Error(`${entry} did not start: ${out.slice(-2000)}`);
  }
  return { proc, ready: match, output: () => out, signalGroup, exited };
}
