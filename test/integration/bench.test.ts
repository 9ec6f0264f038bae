// `npm run bench` still runs: every workload at a tiny size (bench/main.ts --tiny), as its own process the
// way a user runs it, and the JSON document it prints matches its schema. Speed is not checked here (the
// numbers of a tiny run on a busy machine mean nothing); see docs/benchmarks.md for the real runs.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { BenchDocument } from '../../bench/report';

const root = join(__dirname, '..', '..');

function runBench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(root, 'bench', 'main.ts'), ...args],
      { cwd: root, timeout: 170_000, maxBuffer: 20 * 2 ** 20 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('npm run bench -- --tiny --json: every workload runs, against its baseline, and the document matches its schema', async () => {
  const { code, stdout, stderr } = await runBench(['--tiny', '--json']);
  if (code !== 0) throw new Error(`bench exited with ${code}:\n${stderr.slice(-4000)}`);
  const doc = BenchDocument.parse(JSON.parse(stdout));

  expect(doc.machine).toMatchObject({ mode: 'tiny', cpus: expect.any(Number) });
  // Progress lines and the table go to stderr, so stdout is the document alone.
  expect(stderr).toMatch(/\[bench .*ingest: engine/);
  expect(stderr).toMatch(/workload\s+measure\s+engine\s+baseline\s+ratio/);

  const { ingest, e2e, idle, cost, simulate } = doc;
  // ingest: both sides accepted everything they were sent.
  expect(ingest).not.toBeNull();
  expect(ingest?.engine).toMatchObject({ events: ingest?.events, errors: 0 });
  expect(ingest?.baseline).toMatchObject({ events: ingest?.events, errors: 0 });
  expect(ingest?.ratio).toBeGreaterThan(0);

  // e2e: mail arrived at the sink on both sides, and the latency phase measured it.
  for (const side of [e2e?.engine, e2e?.baseline]) {
    expect(side?.probes.length).toBeGreaterThan(0);
    expect(side?.probes[0].delivered).toBeGreaterThan(0);
    expect(side?.latency.delivered).toBe(side?.latency.sent);
    expect(side?.latency.acceptedToReceivedMs.p50).toEqual(expect.any(Number));
  }

  // idle: everyone entered and was woken, on both sides; RSS came from /proc.
  for (const side of [idle?.engine, idle?.baseline]) {
    expect(side).toMatchObject({ entered: idle?.customers, drained: true, enterErrors: 0, wakeErrors: 0 });
    expect(side?.workerRssMB).toBeGreaterThan(0);
    expect(side?.rssByEntered).toHaveLength(4);
  }

  // cost: the three journeys and the baseline, read from real histories.
  expect(cost?.journeys.map((c) => c.name)).toEqual(['abandoned-cart', 'pet-lifecycle', 'welcome (to the first message)']);
  for (const c of [...(cost?.journeys ?? []), cost?.baseline]) {
    expect(c?.messages).toBeGreaterThan(0);
    expect(c?.eventsByType.WorkflowTaskCompleted).toBeGreaterThan(0);
    expect(c?.actionsByKind.activity).toBeGreaterThanOrEqual(c?.messages ?? 1);
  }
  expect(cost?.baseline.perMessage.actions).toBe(2); // one signal (or the signal-with-start) and one activity

  // facts: the engine worker wrote facts to PostgreSQL while e2e ran, each within the run's span.
  expect(doc.factsOn).toBe(true);
  expect(doc.factsFlow?.facts).toBeGreaterThan(0);
  expect(doc.factsFlow?.lagMs.p99).toBeGreaterThanOrEqual(0);

  // simulate: the two-year scenario ran on the time-skipping server, and so did the baseline timeline.
  expect(simulate).toMatchObject({ simulatedDays: 730, messages: 11, baseline: { timers: 11 } });
}, 180_000);
