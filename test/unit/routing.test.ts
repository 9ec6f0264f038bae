// Routing and re-entry of the customer workflow (domain/routing.ts), like decide(): the workflow carries these
// decisions out and passes in the answers of its patched() calls.
import { z } from 'zod';
import type { CustomerEvent } from '../../sdk/events';
import { defineJourney, type AnyJourney, type ReentryPolicy } from '../../sdk/journey';
import { initialState, type CustomerState, type JourneyRun } from '../../domain/customerState';
import {
  decideEntry,
  eventsUsedBy,
  exitTargets,
  forwardTargets,
  idsDiffer,
  journeyEventOf,
  journeysTriggeredBy,
  markUnreachable,
  matchTrigger,
  recordEntry,
  recordJourneyEnded,
  endStatus,
  reentryRefusal,
  routePatch,
  runningJourneyIds,
  TARGETED_FORWARDING_PATCH,
  type EntryDecision,
} from '../../domain/routing';

const AT = new Date('2026-06-10T12:00:00Z');
const HOUR = 3_600_000;

const Checkout = z.object({ cartId: z.string().min(1), value: z.number().default(0) });

function journey(name: string, reentry?: ReentryPolicy, extra: Partial<AnyJourney['trigger']> = {}): AnyJourney {
  const key = (p: unknown) => (p as z.infer<typeof Checkout>).cartId;
  return defineJourney({ name, version: 2, trigger: { event: 'checkout.started', schema: Checkout, key, ...extra }, reentry, async run() {} }) as AnyJourney;
}

function event(properties: Record<string, unknown>, overrides: Partial<CustomerEvent> = {}): CustomerEvent {
  return { messageId: 'm1', type: 'track', customerId: 'carla', name: 'checkout.started', properties, traits: {}, context: {}, ...overrides };
}

function customer(id = 'carla', runs: JourneyRun[] = []): CustomerState {
  const s = initialState(id);
  for (const r of runs) s.journeys[r.workflowId] = r;
  return s;
}

function run(workflowId: string, patch: Partial<JourneyRun> = {}): JourneyRun {
  return { workflowId, journey: 'cart', key: 'A', status: 'running', enteredAt: new Date(AT.getTime() - 2 * HOUR).toISOString(), entries: 1, ...patch };
}

const plainIds = { encoded: 'journey:cart:carla:A', legacy: 'journey:cart:carla:A' };

/** decideEntry for journey `cart` (key A of customer carla) with the given policy and runs. */
function entry(policy: ReentryPolicy | undefined, runs: JourneyRun[], at = AT): EntryDecision {
  return decideEntry(customer('carla', runs), journey('cart', policy), 'A', plainIds, false, at);
}

describe('which journeys an event triggers', () => {
  test('the journeys whose trigger is the event, in registration order; each behind its own route patch', () => {
    const a = journey('a');
    const other = defineJourney({ name: 'other', version: 1, trigger: { event: 'order.completed', schema: z.object({}) }, async run() {} }) as AnyJourney;
    const b = journey('b');
    expect(journeysTriggeredBy([a, other, b], 'checkout.started').map((j) => j.name)).toEqual(['a', 'b']);
    expect(journeysTriggeredBy([a, other, b], 'nothing')).toEqual([]);
    expect(routePatch('abandoned-cart')).toBe('route:abandoned-cart');
  });

  test('journeys see an identify by its traits, a track by its properties', () => {
    expect(journeyEventOf(event({ cartId: 'A' }), AT)).toEqual({
      name: 'checkout.started',
      messageId: 'm1',
      properties: { cartId: 'A' },
      receivedAt: '2026-06-10T12:00:00.000Z',
    });
    const identify = event({}, { type: 'identify', name: 'identify', traits: { plan: 'pro' } });
    expect(journeyEventOf(identify, AT).properties).toEqual({ plan: 'pro' });
  });
});

describe('the trigger: schema rejections, when, key and IDs', () => {
  test('properties that fail the schema are a rejection naming the field, and start nothing', () => {
    expect(matchTrigger(journey('cart'), event({ cartId: '' }, { messageId: 'm7' }), customer(), AT)).toEqual({
      kind: 'rejected',
      rejection: {
        at: '2026-06-10T12:00:00.000Z',
        journey: 'cart',
        event: 'checkout.started',
        messageId: 'm7',
        error: expect.stringMatching(/^properties\.cartId: /),
      },
    });
  });

  test('`when` sees the parsed properties (defaults applied) and the traits', () => {
    const when = jest.fn((p: { value: number }, traits: Record<string, unknown>) => traits.plan === 'pro' && p.value === 0);
    const def = journey('cart', undefined, { when: when as never });
    expect(matchTrigger(def, event({ cartId: 'A' }), customer(), AT)).toEqual({ kind: 'not-entered' });
    const pro = customer();
    pro.traits.plan = 'pro';
    expect(matchTrigger(def, event({ cartId: 'A' }), pro, AT)).toMatchObject({ kind: 'matched', properties: { cartId: 'A', value: 0 }, key: 'A' });
    expect(when).toHaveBeenLastCalledWith({ cartId: 'A', value: 0 }, { plan: 'pro' });
  });

  test('plain parts: one ID, no patch to ask', () => {
    const m = matchTrigger(journey('cart'), event({ cartId: 'A' }), customer(), AT);
    expect(m).toMatchObject({ kind: 'matched', key: 'A', ids: plainIds });
    expect(m.kind === 'matched' && idsDiffer(m.ids)).toBe(false);
  });

  test('no key: journey:<name>:<customer>', () => {
    const def = journey('cart', undefined, { key: undefined });
    expect(matchTrigger(def, event({ cartId: 'A' }), customer(), AT)).toMatchObject({
      key: undefined,
      ids: { encoded: 'journey:cart:carla', legacy: 'journey:cart:carla' },
    });
  });

  test('a `:` in the customer or key: the encoded and the legacy ID differ, so the patch is asked', () => {
    const m = matchTrigger(journey('cart'), event({ cartId: 'c1' }), customer('carol:x'), AT);
    expect(m).toMatchObject({ ids: { encoded: 'journey:cart:carol%3Ax:c1', legacy: 'journey:cart:carol:x:c1' } });
    expect(m.kind === 'matched' && idsDiffer(m.ids)).toBe(true);
  });
});

describe('encoded and legacy journey IDs', () => {
  const ids = { encoded: 'journey:cart:carol%3Ax:c1', legacy: 'journey:cart:carol:x:c1' };
  const decide = (s: CustomerState, useEncoded: boolean, key = 'c1') => decideEntry(s, journey('cart'), key, ids, useEncoded, AT);

  test('a new run gets the encoded ID when the patch says so, the legacy ID in a history from before it', () => {
    expect(decide(customer('carol:x'), true)).toEqual({ kind: 'enter', workflowId: ids.encoded, baseId: ids.encoded, entryNo: 1 });
    expect(decide(customer('carol:x'), false)).toEqual({ kind: 'enter', workflowId: ids.legacy, baseId: ids.legacy, entryNo: 1 });
  });

  test('a run started under the legacy ID is found by it: no second run while it runs', () => {
    const s = customer('carol:x', [run(ids.legacy, { key: 'c1' })]);
    expect(decide(s, true)).toEqual({ kind: 'skip', reason: 'running' });
  });

  test('after it ended, the next run of that key gets the encoded ID and counts on from its entries', () => {
    const s = customer('carol:x', [run(ids.legacy, { key: 'c1', status: 'completed', entries: 3 })]);
    const d = decide(s, true);
    expect(d).toEqual({ kind: 'enter', workflowId: ids.encoded, baseId: ids.encoded, entryNo: 4, previousId: ids.legacy });
    if (d.kind === 'enter') recordEntry(s, d, 'cart', 'c1', AT);
    expect(s.journeys[ids.encoded]).toMatchObject({ workflowId: ids.encoded, entries: 4, status: 'running' });
    expect(s.journeys[ids.legacy]).toMatchObject({ status: 'completed', entries: 3 });
  });

  test('a legacy record of another journey or key under the same old ID is not this run', () => {
    // The old ID of customer `carol` with key `x:c1` is the old ID of `carol:x` with `c1`.
    const other = customer('carol:x', [run(ids.legacy, { key: 'x:c1' })]);
    expect(decide(other, true)).toMatchObject({ kind: 'enter', workflowId: ids.encoded, entryNo: 1 });
    const otherJourney = customer('carol:x', [run(ids.legacy, { journey: 'other', key: 'c1' })]);
    expect(decide(otherJourney, true)).toMatchObject({ kind: 'enter', entryNo: 1 });
  });
});

describe('re-entry policies', () => {
  const ended = (hoursAgo: number, status: JourneyRun['status'] = 'completed') =>
    run('journey:cart:carla:A', { status, endedAt: new Date(AT.getTime() - hoursAgo * HOUR).toISOString(), entries: 2 });

  test('the first run always starts, whatever the policy', () => {
    for (const policy of ['never', 'always', 'one-at-a-time', { cooldown: '7 days' }, undefined] as const) {
      expect(entry(policy, [])).toEqual({ kind: 'enter', workflowId: 'journey:cart:carla:A', baseId: 'journey:cart:carla:A', entryNo: 1 });
    }
  });

  test('never: no new run once a run exists, running or ended', () => {
    expect(entry('never', [run('journey:cart:carla:A')])).toEqual({ kind: 'skip', reason: 'never' });
    expect(entry('never', [ended(1000)])).toEqual({ kind: 'skip', reason: 'never' });
  });

  test('one-at-a-time (the default): a new run only after the previous one ended', () => {
    for (const policy of ['one-at-a-time', undefined] as const) {
      expect(entry(policy, [run('journey:cart:carla:A')])).toEqual({ kind: 'skip', reason: 'running' });
      expect(entry(policy, [ended(0, 'converted')])).toEqual({
        kind: 'enter',
        workflowId: 'journey:cart:carla:A',
        baseId: 'journey:cart:carla:A',
        entryNo: 3,
        previousId: 'journey:cart:carla:A',
      });
    }
  });

  test('cooldown: not while running, then only once the cooldown has passed since the previous run ended', () => {
    const policy: ReentryPolicy = { cooldown: '24 hours' };
    expect(entry(policy, [run('journey:cart:carla:A')])).toEqual({ kind: 'skip', reason: 'running' });
    // Ended 23 hours before AT: the cool-down ends an hour after it.
    expect(entry(policy, [ended(23)])).toEqual({ kind: 'skip', reason: 'cooldown', until: new Date(AT.getTime() + HOUR).toISOString() });
    expect(entry(policy, [ended(24)])).toMatchObject({ kind: 'enter', workflowId: 'journey:cart:carla:A', entryNo: 3 });
  });

  test('cooldown counts from the entry when the run has no end time', () => {
    const noEnd = run('journey:cart:carla:A', { status: 'completed', enteredAt: new Date(AT.getTime() - 2 * HOUR).toISOString() });
    expect(reentryRefusal({ cooldown: '3 hours' }, noEnd, AT)).toBe('cooldown');
    expect(reentryRefusal({ cooldown: '2 hours' }, noEnd, AT)).toBeUndefined();
  });

  test('always: a new run every time; one that overlaps a running run gets `#<entry>`, and the base record counts it', () => {
    const s = customer('carla', [run('journey:cart:carla:A', { entries: 2 })]);
    const d = decideEntry(s, journey('cart', 'always'), 'A', plainIds, false, AT);
    expect(d).toEqual({ kind: 'enter', workflowId: 'journey:cart:carla:A#3', baseId: 'journey:cart:carla:A', entryNo: 3, previousId: 'journey:cart:carla:A' });
    if (d.kind === 'enter') recordEntry(s, d, 'cart', 'A', AT);
    expect(s.journeys['journey:cart:carla:A#3']).toEqual({
      workflowId: 'journey:cart:carla:A#3',
      journey: 'cart',
      key: 'A',
      status: 'running',
      enteredAt: AT.toISOString(),
      entries: 3,
    });
    expect(s.journeys['journey:cart:carla:A']).toMatchObject({ status: 'running', entries: 3 });
    // After the base run ended, the next entry is under the base ID again.
    s.journeys['journey:cart:carla:A'].status = 'completed';
    expect(decideEntry(s, journey('cart', 'always'), 'A', plainIds, false, AT)).toMatchObject({ workflowId: 'journey:cart:carla:A', entryNo: 4 });
  });

  test('a re-entry replaces the record under the same ID', () => {
    const s = customer('carla', [ended(5)]);
    const d = entry('one-at-a-time', [ended(5)]);
    if (d.kind === 'enter') recordEntry(s, d, 'cart', 'A', AT);
    expect(s.journeys['journey:cart:carla:A']).toMatchObject({ status: 'running', entries: 3, enteredAt: AT.toISOString() });
    expect(s.journeys['journey:cart:carla:A'].endedAt).toBeUndefined();
  });
});

describe('forwarding, exits and ends', () => {
  const s = () =>
    customer('carla', [
      run('journey:cart:carla:A'),
      run('journey:cart:carla:A#2', { entries: 2 }),
      run('journey:cart:carla:B', { key: 'B', status: 'completed' }),
      run('journey:welcome:carla', { journey: 'welcome', key: undefined }),
    ]);

  test('an event is forwarded to every running run, each once', () => {
    expect(runningJourneyIds(s())).toEqual(['journey:cart:carla:A', 'journey:cart:carla:A#2', 'journey:welcome:carla']);
  });

  test('an exit reaches the running runs it names, by workflow ID or by journey name', () => {
    expect(exitTargets(s(), { workflowId: 'journey:welcome:carla' })).toEqual(['journey:welcome:carla']);
    expect(exitTargets(s(), { journey: 'cart' })).toEqual(['journey:cart:carla:A', 'journey:cart:carla:A#2']);
    expect(exitTargets(s(), { workflowId: 'journey:cart:carla:B' })).toEqual([]);
    expect(exitTargets(s(), {})).toEqual([]);
  });

  test('journeyEnded records the status and end; an unreachable run is marked completed, an ended one keeps its status', () => {
    const state = s();
    recordJourneyEnded(state, { workflowId: 'journey:cart:carla:A', status: 'converted', at: '2026-06-10T13:00:00.000Z' });
    recordJourneyEnded(state, { workflowId: 'journey:unknown:carla', status: 'exited', at: '2026-06-10T13:00:00.000Z' });
    expect(state.journeys['journey:cart:carla:A']).toMatchObject({ status: 'converted', endedAt: '2026-06-10T13:00:00.000Z' });
    expect(state.journeys['journey:unknown:carla']).toBeUndefined();
    markUnreachable(state, 'journey:welcome:carla', AT);
    markUnreachable(state, 'journey:cart:carla:A', AT);
    expect(state.journeys['journey:welcome:carla']).toMatchObject({ status: 'completed', endedAt: AT.toISOString(), unreachable: true });
    expect(state.journeys['journey:cart:carla:A']).toMatchObject({ status: 'converted' });
    expect(state.journeys['journey:cart:carla:A'].unreachable).toBeUndefined();
    // Its completion, arriving after the failed signal, says how it really ended.
    recordJourneyEnded(state, { workflowId: 'journey:welcome:carla', status: 'exited', at: '2026-06-10T13:05:00.000Z' });
    expect(state.journeys['journey:welcome:carla']).toEqual(expect.objectContaining({ status: 'exited', endedAt: '2026-06-10T13:05:00.000Z' }));
    expect(state.journeys['journey:welcome:carla'].unreachable).toBeUndefined();
  });

  test("a child's completion reads as its own status; terminated or cancelled by an operator as exited, any other failure as failed", () => {
    expect(endStatus({ status: 'converted' })).toBe('converted');
    expect(endStatus({ status: 'completed' })).toBe('completed');
    expect(endStatus({ byOperator: true })).toBe('exited');
    expect(endStatus({ byOperator: false })).toBe('failed');
  });
});

describe('which running runs an event is forwarded to (`waits`)', () => {
  const Cart = z.object({ cartId: z.string() });
  const base = { version: 1, trigger: { event: 'checkout.started', schema: Cart }, async run() {} };
  // cart: exits on its order, converts on a review, waits for a coupon; quiet: waits for nothing; open: no `waits`.
  const registry = [
    defineJourney({ ...base, name: 'cart', exitOn: [{ event: 'order.completed', match: 'cartId' }], goal: { event: 'review.posted' }, waits: ['coupon.used'] }),
    defineJourney({ ...base, name: 'quiet', exitOn: ['user.deleted'], waits: [] }),
    defineJourney({ ...base, name: 'open', exitOn: ['user.deleted'] }),
  ] as AnyJourney[];
  const s = () =>
    customer('carla', [
      run('journey:cart:carla:A'),
      run('journey:cart:carla:A#2', { entries: 2 }),
      run('journey:quiet:carla', { journey: 'quiet', key: undefined }),
      run('journey:open:carla', { journey: 'open', key: undefined }),
      run('journey:retired:carla', { journey: 'retired', key: undefined }),
      run('journey:cart:carla:B', { key: 'B', status: 'completed' }),
    ]);
  const targets = (name: string) => forwardTargets(s(), runningJourneyIds(s()), registry, name);

  test('what a run uses: its exitOn, goal and waits names; every event when it does not declare waits', () => {
    expect([...(eventsUsedBy(registry[0]) ?? [])]).toEqual(['coupon.used', 'order.completed', 'review.posted']);
    expect([...(eventsUsedBy(registry[1]) ?? [])]).toEqual(['user.deleted']);
    expect(eventsUsedBy(registry[2])).toBeUndefined();
  });

  test('an event nobody declares goes only to runs without waits and runs of journeys this worker does not know', () => {
    expect(targets('page.viewed')).toEqual(['journey:open:carla', 'journey:retired:carla']);
  });

  test('an exitOn, goal or waited-for event also goes to the runs that name it, whatever its match', () => {
    expect(targets('order.completed')).toEqual(['journey:cart:carla:A', 'journey:cart:carla:A#2', 'journey:open:carla', 'journey:retired:carla']);
    expect(targets('review.posted')).toEqual(['journey:cart:carla:A', 'journey:cart:carla:A#2', 'journey:open:carla', 'journey:retired:carla']);
    expect(targets('coupon.used')).toEqual(['journey:cart:carla:A', 'journey:cart:carla:A#2', 'journey:open:carla', 'journey:retired:carla']);
    expect(targets('user.deleted')).toEqual(['journey:quiet:carla', 'journey:open:carla', 'journey:retired:carla']);
  });

  test('an identify (traits) goes to every running run; ended runs get nothing', () => {
    expect(targets('identify')).toEqual(runningJourneyIds(s()));
    expect(targets('identify')).not.toContain('journey:cart:carla:B');
  });

  test('with no journey declaring waits, every running run gets every event, so the workflow asks no patch', () => {
    const open = registry.map((def) => ({ ...def, waits: undefined }));
    expect(forwardTargets(s(), runningJourneyIds(s()), open, 'page.viewed')).toEqual(runningJourneyIds(s()));
    expect(TARGETED_FORWARDING_PATCH).toBe('targeted-forwarding');
  });
});
