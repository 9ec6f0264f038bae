// One implementation of the journey verbs (issue 15, point 1): the journey workflow and testJourney both run
// domain/journeyContext.ts, so a journey's unit test runs the engine's verb code. This file pins the runtime
// calls the verbs make (each is a command in the workflow's history, so their order is what replay checks),
// and that testJourney rejects, and decides already-owned, by the engine's own rules.
import { initialState, recordEvent } from '../../domain/customerState';
import { DEFAULT_POLICY, decide } from '../../domain/deliveryPolicy';
import { createJourneyRun, VERB_PATCHES, type JourneyInput, type JourneyRuntime } from '../../domain/journeyContext';
import { admitEntry } from '../../domain/trigger';
import { formatZodError } from '../../domain/zodMessage';
import warranty from '../../journeys/warranty';
import welcome from '../../journeys/welcome';
import type { CustomerEvent } from '../../sdk/events';
import type { AnyJourney } from '../../sdk/journey';
import { testJourney } from '../../testkit/testJourney';

const START = Date.parse('2026-01-05T09:00:00Z');

/** A runtime that writes down every call, on a clock that only its timers move; no event ever arrives. */
function recordingRuntime(calls: string[]): JourneyRuntime {
  let now = START;
  return {
    now: () => new Date(now),
    sleep: async (ms) => void calls.push(`sleep ${ms / 86_400_000}d`, `(at ${new Date((now += ms)).toISOString()})`),
    condition: async (_fn, ms) => (calls.push(`condition ${ms / 86_400_000}d`), (now += ms), false),
    deliver: async (r) => (
      calls.push(`deliver ${r.id} ${r.template} ${r.channels.join('>')} ${r.topic}${r.offers ? ` offers ${r.offers.join(',')}` : ''}`),
      { status: 'sent', channel: r.channels[0] }
    ),
    updateTraits: async (patch) => void calls.push(`updateTraits ${JSON.stringify(patch)}`),
    upsertStep: (step) => void calls.push(`upsertStep ${step}`),
    patched: (id) => (calls.push(`patched ${id}`), true),
    describe: () => undefined,
    scope: (body) => body(),
    end: () => undefined,
    isEnding: () => false,
    failure: (message) => new Error(message),
  };
}

const input = (journey: string, entry: JourneyInput['entry'], key?: string): JourneyInput => ({
  journey,
  customerId: 'ada',
  key,
  entryNo: 2,
  entry,
  traits: {},
  timezone: 'Europe/Berlin',
  clockOffsetMs: 0,
});

test('the verbs make the runtime calls the journey workflow records, in the order replay checks', async () => {
  const calls: string[] = [];
  const entry = { name: 'user.signed_up', messageId: 'm1', properties: { plan: 'pro' }, receivedAt: new Date(START).toISOString() };
  const run = createJourneyRun(welcome as unknown as AnyJourney, input('welcome', entry), 'journey:welcome:ada', recordingRuntime(calls));
  const status = await run.run();
  expect(calls).toEqual([
    'upsertStep welcome',
    'deliver journey:welcome:ada/2.1 welcome/hello email marketing',
    'upsertStep wait-for-first-project',
    // The send before the wait: whether events during it count is behind a patch (asked only then).
    `patched ${VERB_PATCHES.waitForCountsEventsDuringSends}`,
    'condition 3d',
    'upsertStep nudge',
    'deliver journey:welcome:ada/2.2 welcome/first-project-nudge email marketing',
    'sleep 30d',
    '(at 2026-02-07T09:00:00.000Z)',
    'upsertStep check-in',
    'deliver journey:welcome:ada/2.3 welcome/check-in email marketing',
  ]);
  expect(status.status).toBe('completed');
  expect(status.timeline.map((t) => [t.kind, t.step ?? t.template ?? t.detail ?? ''])).toEqual([
    ['entered', 'user.signed_up'],
    ['step', 'welcome'],
    ['message', 'welcome/hello'],
    ['step', 'wait-for-first-project'],
    ['step', 'nudge'],
    ['message', 'welcome/first-project-nudge'],
    ['step', 'check-in'],
    ['message', 'welcome/check-in'],
    ['completed', ''],
  ]);
});

test('a send offering one SKU offers a list of one', async () => {
  const calls: string[] = [];
  const car = { productId: 'car-1', sku: 'ev-sedan', warrantyMonths: 24, purchasedAt: '2026-01-05' };
  const entry = { name: 'product.purchased', messageId: 'm1', properties: car, receivedAt: new Date(START).toISOString() };
  await createJourneyRun(warranty as unknown as AnyJourney, input('warranty', entry, 'car-1'), 'journey:warranty:ada:car-1', recordingRuntime(calls)).run();
  expect(calls.filter((c) => c.startsWith('deliver'))).toEqual([
    'deliver journey:warranty:ada:car-1/2.1 warranty/extension-offer email marketing offers ev-sedan-warranty-ext',
  ]);
});

test('testJourney rejects an entry with the message the customer workflow records', async () => {
  const bad = { plan: 'enterprise' };
  const r = await testJourney(welcome, { entry: bad as never });
  const parsed = welcome.trigger.schema.safeParse(bad);
  expect(parsed.success).toBe(false);
  // What the customer workflow stores as the rejection's `error` (domain/zodMessage.ts, default prefix).
  expect(r.reason).toBe(formatZodError(parsed.error as NonNullable<typeof parsed.error>));
  expect(admitEntry(welcome, bad, {})).toEqual({ outcome: 'rejected', reason: r.reason });
  expect(r.reason).toMatch(/^properties\.plan: /);
});

describe('already-owned in testJourney follows the engine (domain/customerState.ts, domain/deliveryPolicy.ts)', () => {
  const car = { productId: 'car-1', sku: 'ev-sedan', name: 'Volta EV sedan', warrantyMonths: 24, purchasedAt: '2026-01-05' };
  const ext = 'ev-sedan-warranty-ext';
  const track = (name: string, properties: Record<string, unknown>, i: number): CustomerEvent => ({
    messageId: `m${i}`,
    type: 'track',
    customerId: 'c',
    name,
    properties,
    traits: {},
    context: {},
  });

  /** What the customer workflow decides for the warranty's offer after these events. */
  function engineDecision(events: Array<[string, Record<string, unknown>]>) {
    const state = initialState('c');
    state.identities.email = 'c@example.com';
    events.forEach(([name, properties], i) => recordEvent(state, track(name, properties, i), new Date(START)));
    const request = {
      id: 'x',
      journeyWorkflowId: 'j',
      journey: 'warranty',
      channels: ['email' as const],
      template: 'warranty/extension-offer',
      data: {},
      topic: 'marketing' as const,
      urgent: false,
      requestedAt: '',
      offers: [ext],
    };
    return decide(state, request, new Date(START), { ...DEFAULT_POLICY, quietHours: null });
  }

  test.each([
    [
      'one extension bought, another unit (another productId) returned: still owned',
      true,
      [
        ['product.purchased', { productId: 'ext-A', sku: ext }],
        ['product.returned', { productId: 'ext-B', sku: ext }],
      ],
    ],
    [
      'the extension bought, then that unit returned: not owned',
      false,
      [
        ['product.purchased', { productId: 'ext-A', sku: ext }],
        ['product.returned', { productId: 'ext-A', sku: ext }],
      ],
    ],
    [
      'bought without a product id, returned by SKU: not owned',
      false,
      [
        ['product.purchased', { sku: ext }],
        ['product.returned', { sku: ext }],
      ],
    ],
    [
      'bought, and another SKU sold: still owned',
      true,
      [
        ['product.purchased', { productId: 'ext-A', sku: ext }],
        ['product.sold', { productId: 'x-1', sku: 'other' }],
      ],
    ],
  ] as Array<[string, boolean, Array<[string, Record<string, unknown>]>]>)('%s', async (_what, owned, events) => {
    const engine = engineDecision(events);
    expect(engine.kind === 'suppress' && engine.reason === 'already-owned').toBe(owned);
    const r = await testJourney(warranty, { entry: car, events: events.map(([name, properties], i) => ({ at: `${i + 1} hours`, name, properties })) });
    expect(r.messages.map((m) => [m.status, m.reason])).toEqual([owned ? ['suppressed', 'already-owned'] : ['sent', undefined]]);
  });

  test('`owned` SKUs count as bought: a return by SKU releases them, a return of another unit does not', async () => {
    const returned = (properties: Record<string, unknown>) =>
      testJourney(warranty, { entry: car, owned: [ext], events: [{ at: '1 day', name: 'product.returned', properties }] });
    expect((await testJourney(warranty, { entry: car, owned: [ext] })).messages[0]).toMatchObject({ status: 'suppressed', reason: 'already-owned' });
    expect((await returned({ sku: ext })).messages[0].status).toBe('sent');
    expect((await returned({ productId: 'ext-B', sku: ext })).messages[0].status).toBe('suppressed');
  });
});
