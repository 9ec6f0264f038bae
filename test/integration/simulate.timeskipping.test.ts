// `omnijourney simulate` as an author runs it: the real CLI process, the real engine on the
// time-skipping server, and the JSON-lines contract other tools read.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'omnijourney-sim-'));

function simulate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'omnijourney.mjs'), 'simulate', ...args],
      // The CLI finds the test server in the tool cache (npm test installed it); default quiet hours.
      { cwd: root, env: { ...process.env, QUIET_HOURS: '21:00-08:00' }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('the welcome scenario prints one JSON object per line in time order, then the final state', async () => {
  const { code, stdout, stderr } = await simulate(['--scenario', join(root, 'journeys', 'scenarios', 'welcome.json'), '--json']);
  // The only thing on stderr: the project on day 10 came after welcome's 3-day wait for it had run out.
  expect(stderr.trim().split('\n')).toEqual([
    expect.stringMatching(
      /^warning: scenario event project\.created \(at 10d, 2026-01-15T09:00:00\.000Z\): no journey triggers on project\.created, and no running journey was waiting for it/,
    ),
  ]);
  expect(code).toBe(0);
  const rows = lines(stdout);
  const final = rows.pop();
  const messages = rows.filter((r) => r.kind === 'message');
  expect(messages.map((m) => [m.at?.toString().slice(0, 10), m.template, m.channel, m.to])).toEqual([
    ['2026-01-05', 'welcome/hello', 'email', 'ada@example.com'],
    ['2026-01-08', 'welcome/first-project-nudge', 'email', 'ada@example.com'],
    ['2026-02-07', 'welcome/check-in', 'email', 'ada@example.com'],
  ]);
  expect(messages[0]).toMatchObject({ journey: 'welcome', customerId: 'ada', subject: 'Welcome to Acme, Ada!', topic: 'marketing' });
  const times = rows.map((r) => String(r.at));
  expect([...times].sort()).toEqual(times);
  expect(rows[0]).toMatchObject({ kind: 'entered', journey: 'welcome' });
  expect(final).toMatchObject({ kind: 'final', customerId: 'ada', traits: { firstName: 'Ada' }, journeys: [{ journey: 'welcome', status: 'completed' }] });
});

test("a message due in quiet hours is shown held, then sent at 08:00 in the customer's timezone", async () => {
  const file = join(dir, 'night.json');
  writeFileSync(
    file,
    JSON.stringify({
      start: '2026-06-10T03:00:00Z', // 23:00 in New York
      customer: { id: 'nia', traits: { email: 'nia@example.com', timezone: 'America/New_York' } },
      events: [{ at: '0h', name: 'user.signed_up', properties: {} }],
      until: '1d',
    }),
  );
  const { code, stdout } = await simulate(['--scenario', file, '--json', '--journey', 'welcome']);
  expect(code).toBe(0);
  const rows = lines(stdout);
  expect(rows.find((r) => r.kind === 'deferred')).toMatchObject({ template: 'welcome/hello', reason: 'quiet-hours', until: '2026-06-10T12:00:00.000Z' });
  expect(rows.find((r) => r.kind === 'message')).toMatchObject({ template: 'welcome/hello' });
  expect(String(rows.find((r) => r.kind === 'message')?.at)).toMatch(/^2026-06-10T12:00/);
});

test('a bad scenario exits 2 and names the field', async () => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ start: 'yesterday', customer: {}, until: '1d' }));
  const { code, stderr, stdout } = await simulate(['--scenario', file]);
  expect(code).toBe(2);
  expect(stdout).toBe('');
  expect(stderr).toMatch(/start/);
  expect(stderr).toMatch(/customer\.id|id/);
});
