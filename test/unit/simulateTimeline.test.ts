// What `simulate` shows of the engine's decisions, from the facts the workflows record (simulate/timeline.ts):
// entries refused by re-entry rules or `when` (with when a cool-down ends), split arms, rejected events, late
// conversions and failed runs; times in whole seconds of engine time. Plus the scenario's `at` message and the
// check for events no journey listens to (simulate/unheardEvents.ts).
import { z } from 'zod';
import type { CustomerState, JourneyRun } from '../../domain/customerState';
import { initialState } from '../../domain/customerState';
import type { Fact } from '../../domain/facts';
import { journeys } from '../../journeys';
import { defineJourney } from '../../sdk/journey';
import { Scenario } from '../../simulate/scenario';
import { buildTimeline, formatTable } from '../../simulate/timeline';
import { eventsJourneysReactTo, mayTake, runsReached } from '../../simulate/unheardEvents';

const winBack = defineJourney({
  name: 'win-back',
  version: 1,
  trigger: { event: 'subscription.cancelled', schema: z.object({}) },
  reentry: { cooldown: '90 days' },
  async run() {},
});

let n = 0;
const jw = 'journey:win-back:c7';
const fact = (f: Partial<Fact> & Pick<Fact, 'kind' | 'at'>): Fact => ({
  id: `f${++n}`,
  journey: 'win-back',
  customerId: 'c7',
  workflowId: jw,
  runId: 'r1',
  run: `${jw}/1`,
  ...f,
});
const customerFact = (f: Partial<Fact> & Pick<Fact, 'kind' | 'at'>): Fact => fact({ workflowId: 'customer:c7', run: undefined, ...f });

function state(): CustomerState {
  const s = initialState('c7');
  s.journeys[jw] = {
    workflowId: jw,
    journey: 'win-back',
    status: 'completed',
    enteredAt: '2026-03-02T09:00:00.208Z',
    endedAt: '2026-04-01T08:00:00.512Z',
    entries: 1,
  };
  return s;
}

const facts: Fact[] = [
  fact({ kind: 'entered', at: '2026-03-02T09:00:00.208Z', detail: 'subscription.cancelled' }),
  fact({ kind: 'split', at: '2026-03-02T09:00:00.208Z', split: 'holdout', arm: 'treatment' }),
  fact({ kind: 'split', at: '2026-03-02T09:00:00.208Z', split: 'offer', arm: 'free-month' }),
  fact({ kind: 'step', at: '2026-03-02T09:00:00.208Z', step: 'offer' }),
  customerFact({ kind: 'not-entered', at: '2026-03-03T09:00:00.031Z', reason: 'running', detail: 'subscription.cancelled' }),
  customerFact({ kind: 'rejected', at: '2026-03-04T09:00:00.020Z', journey: 'abandoned-cart', reason: 'cartId: Required', detail: 'checkout.started' }),
  fact({ kind: 'completed', at: '2026-04-01T08:00:00.512Z' }),
  customerFact({ kind: 'converted', at: '2026-04-11T09:00:00.044Z', reason: 'after-end', detail: 'subscription.started', run: `${jw}/1` }),
  customerFact({ kind: 'not-entered', at: '2026-04-16T09:00:00.013Z', reason: 'cooldown', detail: 'subscription.cancelled' }),
  customerFact({ kind: 'not-entered', at: '2026-04-17T09:00:00.013Z', journey: 'warranty', key: 'p1', reason: 'when', detail: 'product.purchased' }),
  customerFact({ kind: 'delivery', at: '2026-03-02T09:00:00.400Z', status: 'sent', template: 'win-back/offer' }),
];

test('routing decisions and split arms are rows: not-entered with its reason, split, rejected, converted after the end', () => {
  const { rows } = buildTimeline({ state: state(), facts, registry: [winBack] });
  expect(rows.map((r) => [r.at, r.kind, r.journey, r.event ?? r.step ?? r.split ?? '', r.reason ?? r.arm ?? ''])).toEqual([
    ['2026-03-02T09:00:00.000Z', 'entered', 'win-back', 'subscription.cancelled', ''],
    ['2026-03-02T09:00:00.000Z', 'split', 'win-back', 'holdout', 'treatment'],
    ['2026-03-02T09:00:00.000Z', 'split', 'win-back', 'offer', 'free-month'],
    ['2026-03-02T09:00:00.000Z', 'step', 'win-back', 'offer', ''],
    ['2026-03-03T09:00:00.000Z', 'not-entered', 'win-back', 'subscription.cancelled', 'running'],
    ['2026-03-04T09:00:00.000Z', 'rejected', 'abandoned-cart', 'checkout.started', 'cartId: Required'],
    ['2026-04-01T08:00:00.000Z', 'exited', 'win-back', '', 'completed'],
    ['2026-04-11T09:00:00.000Z', 'converted', 'win-back', '', 'subscription.started'],
    ['2026-04-16T09:00:00.000Z', 'not-entered', 'win-back', 'subscription.cancelled', 'cooldown'],
    ['2026-04-17T09:00:00.000Z', 'not-entered', 'warranty', 'product.purchased', 'when'],
  ]);
  expect(rows.find((r) => r.kind === 'converted')).toMatchObject({ attributed: 'after-end' });
  // 90 days after the run's end (its last fact, 1 Apr 08:00:00.512), in whole seconds.
  expect(rows.find((r) => r.reason === 'cooldown')).toMatchObject({ until: '2026-06-30T08:00:00.000Z' });
  expect(rows.find((r) => r.reason === 'when')).toMatchObject({ key: 'p1' });
});

test('a fact recorded twice (a retried task) is one row; --journey keeps one journey', () => {
  const { rows } = buildTimeline({ state: state(), facts: [...facts, ...facts], registry: [winBack], only: 'warranty' });
  expect(rows).toHaveLength(1);
});

test('a reason that carries its end already is used as it is, and a failed run is a row', () => {
  const { rows } = buildTimeline({
    state: state(),
    facts: [
      customerFact({
        kind: 'not-entered',
        at: '2026-05-01T09:00:00.000Z',
        reason: 'cooldown until 2026-07-01T10:00:00.000Z',
        detail: 'subscription.cancelled',
      }),
      fact({ kind: 'failed', at: '2026-05-02T09:00:00.000Z', reason: 'j.updateTraits in journey "win-back": traits.email: …' }),
    ],
  });
  expect(rows[0]).toMatchObject({ kind: 'not-entered', reason: 'cooldown', until: '2026-07-01T10:00:00.000Z' });
  expect(rows[1]).toMatchObject({ kind: 'failed', reason: expect.stringContaining('traits.email') });
});

test('the table says each decision in words', () => {
  const { rows, final } = buildTimeline({ state: state(), facts, registry: [winBack] });
  const table = formatTable(rows, final, 'Europe/Paris');
  expect(table).toContain('split holdout: treatment');
  expect(table).toContain('not entered on subscription.cancelled: a run of it is still going');
  expect(table).toContain('not entered on subscription.cancelled: cool-down until 30 Jun 2026, 10:00');
  expect(table).toContain('not entered on product.purchased: its trigger’s when is false');
  expect(table).toContain('event checkout.started rejected: cartId: Required');
  expect(table).toContain('converted (subscription.started) after the run ended');
});

test('a bad `at` says what it expects', () => {
  const r = Scenario.safeParse({ start: '2026-01-05T09:00:00Z', customer: { id: 'a' }, events: [{ at: '14 dayz', name: 'x' }], until: 'next week' });
  expect(r.success).toBe(false);
  const messages = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  expect(messages).toEqual([
    expect.stringMatching(/^events\.0\.at: expected an offset like 36h or 400d, or an ISO instant .*, not "14 dayz"$/),
    expect.stringMatching(/^until: expected an offset like 36h or 400d, or an ISO instant .*, not "next week"$/),
  ]);
});

test('events journeys react to wherever their runs are: triggers, goals, exitOn events', () => {
  const names = eventsJourneysReactTo(journeys);
  for (const name of ['user.signed_up', 'subscription.started', 'user.deleted', 'checkout.started', 'order.completed']) expect(names).toContain(name);
  expect(names).not.toContain('project.created'); // only a waitFor of welcome's
  expect(names).not.toContain('identify');
});

test('a running journey takes an event while its waitFor names it, or while it is sending', () => {
  expect(mayTake({ waitingFor: 'waiting for `project.created` until 2026-01-08T09:00:00.000Z' }, 'project.created')).toBe(true);
  expect(mayTake({ waitingFor: 'waiting for `a.b` or `project.created` until 2026-01-08T09:00:00.000Z' }, 'project.created')).toBe(true);
  expect(mayTake({ waitingFor: 'sleeping until 2026-02-07T09:00:00.000Z' }, 'project.created')).toBe(false);
  expect(mayTake({ waitingFor: 'waiting for `project.created.v2` until 2026-01-08T09:00:00.000Z' }, 'project.created')).toBe(false);
  expect(mayTake({ sending: 'journey:welcome:ada/1.1' }, 'project.created')).toBe(true);
});

test('only the runs an event reaches may take it: the engine forwards a journey with `waits` only what it uses', () => {
  const run = (workflowId: string, journey: string, status: JourneyRun['status'] = 'running'): JourneyRun => ({
    workflowId,
    journey,
    status,
    enteredAt: '2026-01-05T09:00:00.000Z',
    entries: 1,
  });
  const runs = [
    run('journey:welcome:ada', 'welcome'),
    run('journey:abandoned-cart:ada:c1', 'abandoned-cart'),
    run('journey:win-back:ada', 'win-back', 'completed'),
  ];
  // welcome waits for project.created; abandoned-cart waits for nothing, so a welcome send in flight is the only taker.
  expect(runsReached(runs, journeys, 'project.created')).toEqual(['journey:welcome:ada']);
  expect(runsReached(runs, journeys, 'page.viewed')).toEqual([]);
  expect(runsReached(runs, journeys, 'order.completed')).toEqual(['journey:abandoned-cart:ada:c1']);
  expect(runsReached(runs, journeys, 'identify')).toEqual(['journey:welcome:ada', 'journey:abandoned-cart:ada:c1']);
});
