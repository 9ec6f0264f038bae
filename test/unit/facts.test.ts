// The pure parts of facts: ids, a request's run, a timeline entry or a ledger entry as a fact, and which
// ended runs a late goal event converts (goal.within).
import { z } from 'zod';
import { lateConversions } from '../../domain/attribution';
import { initialState, type LedgerEntry } from '../../domain/customerState';
import { deliveryFact, factId, factOfTimeline, runOfRequest } from '../../domain/facts';
import { defineJourney, type AnyJourney } from '../../sdk/journey';

test('a request id names its run: the journey workflow id and the entry, without the send number or a fallback suffix', () => {
  expect(runOfRequest('journey:welcome:ann/1.2')).toBe('journey:welcome:ann/1');
  expect(runOfRequest('journey:cart:bob:c%3A1#3/3.1~email')).toBe('journey:cart:bob:c%3A1#3/3');
  expect(factId('customer:ann', 'r1', 7)).toBe('customer:ann/r1/7');
});

test("the journey's own facts come from its timeline; delivery outcomes do not (the customer workflow records them)", () => {
  const at = '2026-01-01T00:00:00.000Z';
  expect(factOfTimeline({ at, kind: 'split', step: 'offer', detail: 'b' })).toEqual({ kind: 'split', at, split: 'offer', arm: 'b' });
  expect(factOfTimeline({ at, kind: 'exited', reason: 'user.deleted' })).toEqual({ kind: 'exited', at, reason: 'user.deleted' });
  expect(factOfTimeline({ at, kind: 'message', template: 't', channel: 'email' })).toBeUndefined();
  const entry: LedgerEntry = {
    id: 'journey:w:ann/1.1',
    at,
    journey: 'w',
    template: 'w/hello',
    topic: 'marketing',
    status: 'deferred',
    reason: 'quiet-hours',
    until: '2026-01-01T08:00:00.000Z',
  };
  expect(deliveryFact('ann', entry)).toMatchObject({
    kind: 'delivery',
    run: 'journey:w:ann/1',
    messageId: entry.id,
    status: 'deferred',
    reason: 'quiet-hours',
    detail: `until ${entry.until}`,
  });
});

describe('late conversions (goal.within)', () => {
  const offer = defineJourney({
    name: 'offer',
    version: 2,
    trigger: { event: 'trial.started', schema: z.object({}) },
    goal: { event: 'subscription.started', within: '14 days' },
    async run() {},
  }) as unknown as AnyJourney;
  const noWindow = { ...offer, name: 'plain', goal: { event: 'subscription.started' } } as AnyJourney;
  const day = (n: number) => new Date(Date.UTC(2026, 0, 1 + n));

  function customer(run: { status: 'completed' | 'running' | 'converted'; endedAt?: Date; lastSent?: Date; journey?: string }) {
    const s = initialState('ann');
    const journey = run.journey ?? 'offer';
    s.journeys[`journey:${journey}:ann`] = {
      workflowId: `journey:${journey}:ann`,
      journey,
      status: run.status,
      enteredAt: day(0).toISOString(),
      endedAt: run.endedAt?.toISOString(),
      entries: 1,
    };
    if (run.lastSent)
      s.ledger.push({ id: `journey:${journey}:ann/1.1`, at: run.lastSent.toISOString(), journey, template: 't', topic: 'marketing', status: 'sent' });
    return s;
  }

  test('within the window after the last message: converts that run', () => {
    const s = customer({ status: 'completed', endedAt: day(20), lastSent: day(10) });
    expect(lateConversions(s, [offer], 'subscription.started', day(23)).map((c) => c.run)).toEqual(['journey:offer:ann/1']);
    expect(lateConversions(s, [offer], 'subscription.started', day(25))).toEqual([]); // 15 days after the message
  });

  test('a run that sent nothing (a holdout control) is measured from its end', () => {
    const s = customer({ status: 'completed', endedAt: day(0) });
    expect(lateConversions(s, [offer], 'subscription.started', day(14))).toHaveLength(1);
    expect(lateConversions(s, [offer], 'subscription.started', day(15))).toEqual([]);
  });

  test('never: a running run (it converts itself), a converted one, one already attributed, another event, a goal without a window', () => {
    expect(lateConversions(customer({ status: 'running', lastSent: day(1) }), [offer], 'subscription.started', day(2))).toEqual([]);
    expect(lateConversions(customer({ status: 'converted', endedAt: day(1) }), [offer], 'subscription.started', day(2))).toEqual([]);
    const attributed = customer({ status: 'completed', endedAt: day(1) });
    attributed.journeys['journey:offer:ann'].convertedAfterEnd = day(2).toISOString();
    expect(lateConversions(attributed, [offer], 'subscription.started', day(3))).toEqual([]);
    expect(lateConversions(customer({ status: 'completed', endedAt: day(1) }), [offer], 'other.event', day(2))).toEqual([]);
    expect(lateConversions(customer({ status: 'completed', endedAt: day(1), journey: 'plain' }), [noWindow], 'subscription.started', day(2))).toEqual([]);
  });
});
