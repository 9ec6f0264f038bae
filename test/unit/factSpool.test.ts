// The worker's fact spool on a real folder: an activation's facts in one write that is on disk when the
// promise resolves, segments closed for shipping, and the segments of a dead worker claimed by the next.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fact } from '../../domain/facts';
import { FactSpool } from '../../store/factSpool';

const fact = (n: number): Fact => ({
  id: `w/r/${n}`,
  kind: 'step',
  at: '2026-01-01T00:00:00.000Z',
  journey: 'j',
  customerId: 'c',
  workflowId: 'w',
  runId: 'r',
  step: `s${n}`,
});

test("an activation's facts are on disk, in one segment, when their promises resolve; ready() closes it for shipping", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omnijourney-spool-'));
  const spool = new FactSpool(dir);
  const written = [spool.append(fact(1)), spool.append(fact(2)), spool.append(fact(3))];
  expect(readdirSync(dir)).toEqual([]); // buffered until the microtask
  await Promise.all(written);
  const [open] = readdirSync(dir);
  expect(open).toMatch(/\.open$/);
  expect(
    readFileSync(join(dir, open), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as Fact).id),
  ).toEqual(['w/r/1', 'w/r/2', 'w/r/3']);

  const ready = spool.ready();
  expect(ready).toHaveLength(1);
  expect(spool.read(ready[0]).facts.map((f) => f.step)).toEqual(['s1', 's2', 's3']);
  spool.done(ready[0]);
  expect(readdirSync(dir)).toEqual([]);
});

test("a dead worker's segments (open or closed) are claimed and shipped by the next one; a torn line is counted, not shipped", () => {
  const dir = mkdtempSync(join(tmpdir(), 'omnijourney-spool-'));
  // No process has pid 2^22 + 1 (above Linux's pid_max default).
  writeFileSync(join(dir, '4194305-1.1.jsonl'), `${JSON.stringify(fact(1))}\n`);
  writeFileSync(join(dir, '4194305-1.2.open'), `${JSON.stringify(fact(2))}\n{"id":"torn`);
  const spool = new FactSpool(dir);
  const ready = spool.ready();
  expect(ready).toHaveLength(2);
  const read = ready.map((p) => spool.read(p));
  expect(read.flatMap((r) => r.facts.map((f) => f.id)).sort()).toEqual(['w/r/1', 'w/r/2']);
  expect(read.reduce((n, r) => n + r.unreadable, 0)).toBe(1);
  expect(readdirSync(dir).every((n) => n.startsWith(`${spool.owner}.`))).toBe(true);
});
