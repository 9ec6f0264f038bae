// `omnijourney simulate` shows the engine's decisions, not only its messages: the win-back journey's split
// arms, entries refused (a run still going, a cool-down with its end, `reentry: never`, a false `when`), an
// event a trigger's schema rejects, a conversion after the run ended; a warning on stderr for an event no
// journey listens to; times in whole seconds of engine time, the first event exactly at its `at`.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function simulate(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'omnijourney.mjs'), 'simulate', '--scenario', file, '--json'],
      { cwd: root, env: { ...process.env, QUIET_HOURS: '21:00-08:00' }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const scenario = {
  start: '2026-03-02T09:00:00Z',
  // c7 falls in win-back's treatment arm and gets the free month (test/unit/journeys/winBack.test.ts).
  customer: { id: 'c7', traits: { email: 'c7@example.com', timezone: 'Europe/Paris' } },
  events: [
    { at: '0d', name: 'subscription.cancelled', properties: { subscriptionId: 'sub-1' } },
    { at: '1d', name: 'subscription.cancelled', properties: { subscriptionId: 'sub-2' } },
    { at: '2d', name: 'feedback.submitted', properties: { score: 3 } },
    { at: '3d', name: 'subscription.paused', properties: {} },
    { at: '4d', name: 'checkout.started', properties: { value: 10 } },
    { at: '5d', name: 'product.purchased', properties: { productId: 'p1', sku: 'kettle' } },
    { at: '40d', name: 'subscription.started', properties: { subscriptionId: 'sub-3' } },
    { at: '45d', name: 'subscription.cancelled', properties: { subscriptionId: 'sub-3' } },
    { at: '46d', name: 'user.signed_up', properties: {} },
    { at: '47d', name: 'user.signed_up', properties: {} },
  ],
  until: '50d',
};

test('splits, refused entries with their reasons, rejections and a late conversion are rows; an unheard event is a warning', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'omnijourney-sim-')), 'decisions.json');
  writeFileSync(file, JSON.stringify(scenario));
  const { code, stdout, stderr } = await simulate(file);
  expect(code).toBe(0);
  const rows = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, string>);
  rows.pop();
  const winBack = rows.filter((r) => r.journey === 'win-back');

  expect(winBack[0]).toEqual({ at: '2026-03-02T09:00:00.000Z', kind: 'entered', journey: 'win-back', customerId: 'c7', event: 'subscription.cancelled' });
  expect(winBack.filter((r) => r.kind === 'split').map((r) => [r.split, r.arm])).toEqual([
    ['holdout', 'treatment'],
    ['offer', 'free-month'],
  ]);
  expect(rows.filter((r) => r.kind === 'not-entered').map((r) => [r.at.slice(0, 10), r.journey, r.event, r.reason])).toEqual([
    ['2026-03-03', 'win-back', 'subscription.cancelled', 'running'],
    ['2026-03-07', 'warranty', 'product.purchased', 'when'],
    ['2026-04-16', 'win-back', 'subscription.cancelled', 'cooldown'],
    ['2026-04-18', 'welcome', 'user.signed_up', 'never'],
  ]);
  // 90 days after the run ended with the last call, 1 Apr 10:00 in Paris (08:00 UTC).
  expect(rows.find((r) => r.reason === 'cooldown')?.until).toMatch(/^2026-06-30T08:00:0\d\.000Z$/);
  expect(rows.find((r) => r.kind === 'rejected')).toMatchObject({
    journey: 'abandoned-cart',
    event: 'checkout.started',
    reason: expect.stringContaining('cartId'),
  });
  expect(rows.find((r) => r.kind === 'converted')).toMatchObject({ journey: 'win-back', reason: 'subscription.started', attributed: 'after-end' });
  for (const r of rows) expect(r.at).toMatch(/\.000Z$/);

  // feedback.submitted came while win-back waited for it; subscription.paused reached nobody.
  expect(stderr.trim().split('\n')).toEqual([
    expect.stringMatching(
      /^warning: scenario event subscription\.paused \(at 3d, 2026-03-05T09:00:00\.000Z\): no journey triggers on subscription\.paused, and no running journey was waiting for it/,
    ),
  ]);
});
