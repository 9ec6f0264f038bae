// `omnijourney new` as an author runs it, in a copy of this project (its node_modules linked): the scaffold
// type-checks and is formatted, passes its own unit test, `simulate` shows its mails on the time-skipping
// server, the registry and docs guards pass, and the replay guard names the command that fixes it, which
// then makes it pass. The steps the command prints, in the order it prints them.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const copy = mkdtempSync(join(tmpdir(), 'omnijourney-new-'));
const LEAVE_OUT = new Set(['node_modules', '.git', '.data']);

function run(command: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      // Default quiet hours and caps, whatever this shell has; no Jest worker identity for the Jest inside.
      { cwd: copy, env: { ...process.env, QUIET_HOURS: '21:00-08:00', JEST_WORKER_ID: undefined }, timeout: 110_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}
const bin = (...args: string[]) => run(process.execPath, [join(copy, 'bin', 'omnijourney.mjs'), ...args]);
const tool = (name: string, ...args: string[]) => run(join(copy, 'node_modules', '.bin', name), args);
const npm = (...args: string[]) => run('npm', args);

const files = [
  'journeys/trialNudge.ts',
  'journeys/trialNudge.test.ts',
  'journeys/scenarios/trial-nudge.json',
  'templates/trial-nudge/hello.email.liquid',
  'templates/trial-nudge/reminder.email.liquid',
];

beforeAll(async () => {
  cpSync(root, copy, { recursive: true, filter: (src) => !LEAVE_OUT.has(relative(root, src).split('/')[0]) });
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  const made = await bin('new', 'trial-nudge');
  if (made.code !== 0) throw new Error(`omnijourney new failed:\n${made.out}`);
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

test('the scaffold type-checks and passes biome (npm test checks both)', async () => {
  // The scaffold's own files and the registry, with everything they import, under the project's compiler
  // options: the rest of the tree is npm test's business (and checking all of it again took 20 s of CPU).
  const scaffold = [...files.filter((f) => f.endsWith('.ts')), 'journeys/index.ts'];
  writeFileSync(join(copy, 'tsconfig.scaffold.json'), JSON.stringify({ extends: './tsconfig.json', include: scaffold }));
  const tsc = await tool('tsc', '--noEmit', '-p', 'tsconfig.scaffold.json');
  expect(tsc).toMatchObject({ code: 0 });
  const biome = await tool('biome', 'check', ...scaffold);
  expect(biome).toMatchObject({ code: 0 });
});

test('its own unit test passes, with the command the scaffold prints', async () => {
  const r = await run('npx', ['jest', '--selectProjects', 'unit', '--runTestsByPath', 'journeys/trialNudge.test.ts']);
  expect(r.out).toMatch(/PASS unit journeys\/trialNudge\.test\.ts/);
  expect(r.out).toMatch(/Tests: +5 passed, 5 total/);
  expect(r.code).toBe(0);
});

test('simulate shows its mails on the real engine', async () => {
  const r = await bin('simulate', '--scenario', 'journeys/scenarios/trial-nudge.json');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/05 Jan 2026, 09:00 +trial-nudge +SENT email trial-nudge\/hello — "Hello, Ada!" to ada@example\.com/);
  expect(r.out).toMatch(/08 Jan 2026, 09:00 +trial-nudge +SENT email trial-nudge\/reminder — "Still there\?" to ada@example\.com/);
  expect(r.out).toMatch(/2 message\(s\) sent, 0 suppressed\. Journeys: trial-nudge completed/);
});

test('the registry and docs guards pass; the replay guard names `npm run record-histories -- trial-nudge`, which satisfies it', async () => {
  const guards = await run('npx', ['jest', '--selectProjects', 'unit', '--runTestsByPath', 'test/unit/registry.test.ts', 'test/unit/docsJourneys.test.ts']);
  expect(guards).toMatchObject({ code: 0 });

  const replayGuard = ['jest', '--selectProjects', 'integration', '--runTestsByPath', 'test/integration/replay.test.ts', '-t', 'has saved histories'];
  const before = await run('npx', replayGuard);
  expect(before.code).not.toBe(0);
  expect(before.out).toContain('trial-nudge v1 has no recorded histories: run `npm run record-histories -- trial-nudge`');

  const recorded = await npm('run', 'record-histories', '--', 'trial-nudge');
  expect(recorded.out).toContain('test/histories/trial-nudge/trial-nudge-v1/journey_trial-nudge_ada.json');
  const after = await run('npx', replayGuard);
  expect(after.out).toMatch(/✓ every shipped journey, at its current version, has saved histories to replay/);
  expect(after.code).toBe(0);
});
