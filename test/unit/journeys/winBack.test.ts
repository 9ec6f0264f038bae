// The win-back journey's decisions on the in-memory driver: the holdout gets nothing, the offer arm shows in
// every message, feedback changes the reminder, the last call is on day 30 at 10:00 local.
import winBack from '../../../journeys/winBack';
import { testJourney } from '../../../testkit/testJourney';

// Arms are deterministic per customer (sdk/split.ts): c2 is in the holdout, c1 gets 20% off, c7 a free month.
const entry = { subscriptionId: 'sub-1', plan: 'team' as const };

test('the holdout (10%) gets nothing and ends at once, still recorded with its arm', async () => {
  const r = await testJourney(winBack, { entry, customerId: 'c2' });
  expect(r.splits).toEqual({ holdout: 'control' });
  expect(r.messages).toEqual([]);
  expect(r.outcome).toBe('completed');
  expect(r.endedAt).toBe('2026-01-05T09:00:00.000Z');
});

test('the treatment: the offer of its arm at once, a reminder after 7 days without feedback, the last call on day 30 at 10:00 local', async () => {
  const r = await testJourney(winBack, { entry, customerId: 'c7', timezone: 'Europe/Paris' });
  expect(r.splits).toEqual({ holdout: 'treatment', offer: 'free-month' });
  expect(r.messages.map((m) => [m.at, m.template])).toEqual([
    ['2026-01-05T09:00:00.000Z', 'win-back/offer'],
    ['2026-01-12T09:00:00.000Z', 'win-back/reminder'],
    ['2026-02-04T09:00:00.000Z', 'win-back/last-call'], // 10:00 in Paris (UTC+1 in winter)
  ]);
  expect(r.messages[0].data).toEqual({ offer: 'free-month', plan: 'team' });
  expect(r.messages[1].data).toEqual({ offer: 'free-month', plan: 'team', gaveFeedback: false });
});

test('feedback brings the reminder forward and thanks them; subscribing converts and stops it', async () => {
  const r = await testJourney(winBack, {
    entry,
    customerId: 'c1',
    events: [
      { at: '2 days', name: 'feedback.submitted', properties: { score: 3 } },
      { at: '5 days', name: 'subscription.started', properties: {} },
    ],
  });
  expect(r.splits.offer).toBe('percent-off');
  expect(r.sent).toEqual(['win-back/offer', 'win-back/reminder']);
  expect(r.messages[1]).toMatchObject({ at: '2026-01-07T09:00:00.000Z', data: { gaveFeedback: true } });
  expect(r.outcome).toBe('converted');
});
