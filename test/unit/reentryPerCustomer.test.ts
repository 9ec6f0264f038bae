// Re-entry per customer (issue 16, point 4): `reentry: { cooldown, per: 'customer' }` starts no run of the
// journey for a customer while any of their runs of it is running or within the cool-down after the last one
// ended, whatever the key. The default stays per key. testJourney decides with the same code (decideEntry).
import { z } from 'zod';
import type { JourneyRun } from '../../domain/customerState';
import { decideEntry, skipReason } from '../../domain/routing';
import { journeyWorkflowId } from '../../domain/workflowIds';
import { defineJourney, type ReentryPolicy } from '../../sdk/journey';
import { testJourney } from '../../testkit/testJourney';

const AT = new Date('2026-06-10T12:00:00Z');
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(AT.getTime() - days * DAY).toISOString();

/** One run per subscription. */
const winBack = (reentry: ReentryPolicy) =>
  defineJourney({
    name: 'win-back-test',
    version: 1,
    trigger: { event: 'subscription.cancelled', schema: z.object({ subscriptionId: z.string() }), key: (p) => p.subscriptionId },
    reentry,
    async run(j) {
      await j.send('email', 'win-back/offer');
    },
  });

const record = (key: string, endedDaysAgo?: number): JourneyRun => ({
  workflowId: journeyWorkflowId('win-back-test', 'ada', key),
  journey: 'win-back-test',
  key,
  status: endedDaysAgo === undefined ? 'running' : 'completed',
  enteredAt: daysAgo((endedDaysAgo ?? 0) + 30),
  ...(endedDaysAgo === undefined ? {} : { endedAt: daysAgo(endedDaysAgo) }),
  entries: 1,
});

function decide(reentry: ReentryPolicy, runs: JourneyRun[], key = 'sub-2') {
  const journeys = Object.fromEntries(runs.map((r) => [r.workflowId, r]));
  // Another journey's run never counts.
  journeys.other = { ...record('sub-9', 1), workflowId: 'other', journey: 'other' };
  const id = journeyWorkflowId('win-back-test', 'ada', key);
  return decideEntry({ journeys }, winBack(reentry), key, { encoded: id, legacy: id }, true, AT);
}

const perCustomer: ReentryPolicy = { cooldown: '90 days', per: 'customer' };

test('per customer: a new key (a new subscription) starts nothing within the cool-down after any run of it ended', () => {
  expect(decide(perCustomer, [record('sub-1', 10)])).toEqual({ kind: 'skip', reason: 'cooldown', until: new Date(AT.getTime() + 80 * DAY).toISOString() });
  // The last run to end counts.
  expect(decide(perCustomer, [record('sub-1', 200), record('sub-0', 89)])).toMatchObject({ kind: 'skip', reason: 'cooldown' });
  expect(decide(perCustomer, [record('sub-1', 90)])).toMatchObject({
    kind: 'enter',
    workflowId: journeyWorkflowId('win-back-test', 'ada', 'sub-2'),
    entryNo: 1,
  });
});

test('per customer: nothing starts while any run of the journey is running, whatever its key', () => {
  expect(decide(perCustomer, [record('sub-1')])).toEqual({ kind: 'skip', reason: 'running' });
});

test('per key is the default: another key starts at once, the same key waits out its own cool-down', () => {
  for (const policy of [{ cooldown: '90 days' }, { cooldown: '90 days', per: 'key' }] as const) {
    expect(decide(policy, [record('sub-1', 10)])).toMatchObject({ kind: 'enter', entryNo: 1 });
    expect(decide(policy, [record('sub-1')])).toMatchObject({ kind: 'enter', entryNo: 1 });
    expect(decide(policy, [record('sub-2', 10)], 'sub-2')).toMatchObject({ kind: 'skip', reason: 'cooldown' });
  }
});

test('testJourney follows the same rule: refused per customer with the reason, entered per key', async () => {
  const entry = { subscriptionId: 'sub-2' };
  const start = AT.toISOString();
  const earlierRuns = [{ key: 'sub-1', enteredAt: daysAgo(40), endedAt: daysAgo(10) }];
  const refused = await testJourney(winBack(perCustomer), { entry, start, earlierRuns });
  const engine = decide(perCustomer, [record('sub-1', 10)]);
  expect(engine.kind).toBe('skip');
  expect(refused).toMatchObject({ outcome: 'not-entered', reason: skipReason(engine as Extract<typeof engine, { kind: 'skip' }>), sent: [] });
  expect(refused.reason).toBe(`cooldown until ${new Date(AT.getTime() + 80 * DAY).toISOString()}`);

  expect(await testJourney(winBack(perCustomer), { entry, start, earlierRuns: [{ key: 'sub-1', enteredAt: daysAgo(1) }] })).toMatchObject({
    outcome: 'not-entered',
    reason: 'running',
  });
  const perKey = await testJourney(winBack({ cooldown: '90 days' }), { entry, start, earlierRuns });
  expect(perKey).toMatchObject({ outcome: 'completed', sent: ['win-back/offer'] });
  const laterRun = await testJourney(winBack(perCustomer), { entry, start, earlierRuns: [{ key: 'sub-1', endedAt: daysAgo(91) }] });
  expect(laterRun.outcome).toBe('completed');
});

test("testJourney's earlier run of the same key counts under every policy (key defaults to this run's)", async () => {
  const entry = { subscriptionId: 'sub-2' };
  const start = AT.toISOString();
  expect(await testJourney(winBack('never'), { entry, start, earlierRuns: [{ endedAt: daysAgo(400) }] })).toMatchObject({
    outcome: 'not-entered',
    reason: 'never',
  });
  expect(await testJourney(winBack('one-at-a-time'), { entry, start, earlierRuns: [{ endedAt: daysAgo(1) }] })).toMatchObject({ outcome: 'completed' });
  await expect(testJourney(winBack('never'), { entry, start, earlierRuns: [{ endedAt: 'yesterday' }] })).rejects.toThrow(
    'testJourney: earlierRuns endedAt "yesterday" is not an ISO instant',
  );
});
