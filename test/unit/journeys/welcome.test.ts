// The welcome journey's decisions, on the in-memory driver (testkit/testJourney.ts): no server, milliseconds.
import welcome from '../../../journeys/welcome';
import { testJourney } from '../../../testkit/testJourney';

test('a customer who creates no project gets the nudge after 3 days, then the check-in at day 33', async () => {
  const r = await testJourney(welcome, { entry: { plan: 'pro' } });
  expect(r.messages.map((m) => [m.at, m.template])).toEqual([
    ['2026-01-05T09:00:00.000Z', 'welcome/hello'],
    ['2026-01-08T09:00:00.000Z', 'welcome/first-project-nudge'],
    ['2026-02-07T09:00:00.000Z', 'welcome/check-in'],
  ]);
  expect(r.messages[0].data).toEqual({ plan: 'pro' });
  expect(r.messages[2].data).toEqual({ activated: false });
  expect(r.outcome).toBe('completed');
});

test('a project on day 2 skips the nudge and the check-in knows the customer is active', async () => {
  const r = await testJourney(welcome, { entry: {}, events: [{ at: '2 days', name: 'project.created' }] });
  expect(r.sent).toEqual(['welcome/hello', 'welcome/check-in']);
  expect(r.messages[1]).toMatchObject({ at: '2026-02-06T09:00:00.000Z', data: { activated: true } });
  expect(r.messages[0].data).toEqual({ plan: 'free' }); // the schema's default
});

test('subscribing converts and stops the journey: no check-in', async () => {
  const r = await testJourney(welcome, { entry: {}, events: [{ at: '10 days', name: 'subscription.started' }] });
  expect(r.outcome).toBe('converted');
  expect(r.sent).toEqual(['welcome/hello', 'welcome/first-project-nudge']);
  expect(r.endedAt).toBe('2026-01-15T09:00:00.000Z');
});

test('an unknown plan is rejected by the trigger schema with a message naming the field', async () => {
  const r = await testJourney(welcome, { entry: { plan: 'enterprise' as never } });
  expect(r.outcome).toBe('rejected');
  expect(r.reason).toMatch(/^properties\.plan: /);
  expect(r.messages).toEqual([]);
});
