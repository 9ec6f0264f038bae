// The worker's fact spool: the `facts` sink appends each fact to a file before the workflow task that
// recorded it completes (the SDK awaits sinks before it reports the activation), so a fact whose task
// Temporal has accepted is on this machine's disk. A SIGKILLed worker loses none: the next worker started
// with the same folder ships what it left. The database can be down as long as the disk holds the facts.
//
// Files: `<owner>.<n>.open` is being appended to; `<owner>.<n>.jsonl` is closed and waits to be shipped.
// `<owner>` is `<pid>-<start ms>` of the process that wrote it. A file whose owner is not alive is an orphan,
// claimed by renaming it to the claimer's name (one rename wins when two workers look at once).
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Fact } from '../domain/facts';

export interface SpooledSegment {
  path: string;
  facts: Fact[];
  /** Lines that were not a fact (a torn write after a full disk): counted, never shipped. */
  unreadable: number;
}

export class FactSpool {
  readonly owner = `${process.pid}-${Date.now()}`;
  private n = 0;
  private open: string | undefined;
  private openCount = 0;
  private pending: string[] = [];
  private flushed: Promise<void> | undefined;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Appends one fact to the open segment; it is on disk when the promise resolves. The facts of one
   *  activation arrive in one synchronous burst (the SDK calls the sinks of an activation together and awaits
   *  them all), so they share one write, made in a microtask, before the workflow task is reported. */
  append(fact: Fact): Promise<void> {
    this.pending.push(`${JSON.stringify(fact)}\n`);
    this.flushed ??= new Promise<void>((resolve, reject) =>
      queueMicrotask(() => {
        try {
          this.flush();
          resolve();
        } catch (err) {
          reject(err);
        }
      }),
    );
    return this.flushed;
  }

  /** Writes what append() has buffered (synchronously). */
  flush(): void {
    this.flushed = undefined;
    if (!this.pending.length) return;
    this.open ??= join(this.dir, `${this.owner}.${++this.n}.open`);
    // Cleared only once written: a failed write (a full disk) keeps them for the next try.
    appendFileSync(this.open, this.pending.join(''));
    this.openCount += this.pending.length;
    this.pending = [];
  }

  /** Facts in the open segment (not yet closed for shipping). */
  get openFacts(): number {
    return this.openCount;
  }

  /** Closes the open segment and returns every closed segment to ship, this process's and orphans', oldest first. */
  ready(): string[] {
    this.flush();
    if (this.open) {
      renameSync(this.open, this.open.replace(/\.open$/, '.jsonl'));
      this.open = undefined;
      this.openCount = 0;
    }
    const names = readdirSync(this.dir);
    for (const name of names) {
      const owner = name.split('.')[0];
      if (owner === this.owner || !/\.(open|jsonl)$/.test(name) || ownerAlive(owner)) continue;
      try {
        renameSync(join(this.dir, name), join(this.dir, `${this.owner}.${++this.n}.claimed-${name.replace(/\.open$/, '')}.jsonl`));
      } catch {
        // Another worker claimed it first.
      }
    }
    return readdirSync(this.dir)
      .filter((name) => name.startsWith(`${this.owner}.`) && name.endsWith('.jsonl'))
      .map((name) => join(this.dir, name))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs || a.localeCompare(b));
  }

  read(path: string): SpooledSegment {
    const facts: Fact[] = [];
    let unreadable = 0;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        facts.push(JSON.parse(line) as Fact);
      } catch {
        unreadable += 1;
      }
    }
    return { path, facts, unreadable };
  }

  /** A shipped segment is removed. */
  done(path: string): void {
    unlinkSync(path);
  }
}

/** Whether the process that owns a spool file runs: same pid and the same start (a restarted container can
 *  reuse a pid, and this process's own earlier life is not alive). */
function ownerAlive(owner: string): boolean {
  const [pid] = owner.split('-').map(Number);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
