// The pure steps around the deliver activity (domain/deliverySteps.ts) and the customer's UI details.
import { initialState, type CustomerState, type DeliveryRequest, type LedgerEntry } from '../../domain/customerState';
import { customerDetails } from '../../domain/customerDetails';
import {
  alreadyTaken,
  deliverInput,
  fallbackAfter,
  hold,
  ledgerBase,
  msUntilNextHeld,
  nextHeldAt,
  releaseHeld,
  suppressedEntry,
  takeDue,
} from '../../domain/deliverySteps';

const AT = new Date('2026-06-10T12:00:00Z');

function request(overrides: Partial<DeliveryRequest> = {}): DeliveryRequest {
  return {
    id: 'journey:cart:carla:A/1.1',
    journeyWorkflowId: 'journey:cart:carla:A',
    journey: 'cart',
    key: 'A',
    channels: ['sms', 'email'],
    template: 'cart/reminder',
    data: { cartId: 'A' },
    topic: 'marketing',
    urgent: false,
    requestedAt: AT.toISOString(),
    ...overrides,
  };
}

function entry(id: string, status: LedgerEntry['status']): LedgerEntry {
  return { id, at: AT.toISOString(), journey: 'cart', template: 'cart/reminder', topic: 'marketing', status };
}

const customer = (patch: (s: CustomerState) => void = () => {}) => {
  const s = initialState('carla');
  patch(s);
  return s;
};

test('a request already sending or sent is taken; a deferred, failed or suppressed one is not', () => {
  for (const [status, taken] of [
    ['sending', true],
    ['sent', true],
    ['deferred', false],
    ['failed', false],
    ['suppressed', false],
  ] as const) {
    expect(
      alreadyTaken(
        customer((s) => s.ledger.push(entry('journey:cart:carla:A/1.1', status))),
        request(),
      ),
    ).toBe(taken);
  }
  expect(alreadyTaken(customer(), request())).toBe(false);
});

test('a deferral holds the attempt (replacing an earlier hold of it) and is recorded with its end', () => {
  const s = customer();
  const until = new Date('2026-06-11T08:00:00Z');
  hold(s, { request: request(), skip: [] }, { kind: 'defer', until: new Date('2026-06-10T13:00:00Z'), reason: 'paused' }, AT);
  const recorded = hold(s, { request: request(), skip: ['sms'] }, { kind: 'defer', until, reason: 'quiet-hours' }, AT);
  expect(s.pending).toEqual([{ request: request(), notBefore: until.toISOString(), reason: 'quiet-hours', skip: ['sms'] }]);
  expect(recorded).toEqual({
    ...ledgerBase(request(), AT),
    status: 'deferred',
    reason: 'quiet-hours',
    until: '2026-06-11T08:00:00.000Z',
    detail: 'until 2026-06-11T08:00:00.000Z',
  });
});

test('a suppression is recorded with its reason and detail', () => {
  expect(suppressedEntry(request(), { kind: 'suppress', reason: 'no-consent', detail: 'no marketing consent for sms' }, AT)).toEqual({
    id: 'journey:cart:carla:A/1.1',
    at: AT.toISOString(),
    journey: 'cart',
    key: 'A',
    template: 'cart/reminder',
    topic: 'marketing',
    status: 'suppressed',
    reason: 'no-consent',
    detail: 'no marketing consent for sms',
  });
});

test('the deliver input: the request ID is the idempotency key; link claims only when given', () => {
  const s = customer((c) => (c.traits.firstName = 'Carla'));
  const send = { kind: 'send', channel: 'email', to: 'carla@example.com' } as const;
  expect(deliverInput(s, request(), send, {})).toEqual({
    idempotencyKey: 'journey:cart:carla:A/1.1',
    customerId: 'carla',
    journey: 'cart',
    channel: 'email',
    to: 'carla@example.com',
    template: 'cart/reminder',
    topic: 'marketing',
    vars: { customer: { id: 'carla' }, traits: { firstName: 'Carla' }, data: { cartId: 'A' }, journey: 'cart' },
  });
  expect(deliverInput(s, request(), send, { links: { generation: 2, incarnation: 'run-1' } }).links).toEqual({ generation: 2, incarnation: 'run-1' });
});

test('fallback: the next attempt skips the failed channel under a new key, and the journey is answered on the original ID', () => {
  const first = { request: request({ channels: ['sms', 'email', 'slack'] }), skip: [] };
  const second = fallbackAfter(first, 'sms');
  expect(second).toEqual({ request: { ...first.request, id: 'journey:cart:carla:A/1.1~sms', replyId: 'journey:cart:carla:A/1.1' }, skip: ['sms'] });
  const third = second && fallbackAfter(second, 'email');
  expect(third).toEqual({
    request: { ...first.request, id: 'journey:cart:carla:A/1.1~sms~email', replyId: 'journey:cart:carla:A/1.1' },
    skip: ['sms', 'email'],
  });
  expect(third && fallbackAfter(third, 'slack')).toBeUndefined();
  expect(fallbackAfter({ request: request({ channels: ['email'] }), skip: [] }, 'email')).toBeUndefined();
});

describe('held sends', () => {
  const held = (id: string, notBefore: string, reason: string) => ({ request: request({ id }), notBefore, reason, skip: [] });
  const s = () =>
    customer((c) => {
      c.pending = [
        held('a', '2026-06-10T14:00:00.000Z', 'quiet-hours'),
        held('b', '2026-06-10T11:00:00.000Z', 'paused'),
        held('c', '2026-06-10T12:00:00.000Z', 'quiet-hours'),
      ];
    });

  test('the earliest is when the loop wakes; an overdue one wakes it at once', () => {
    expect(nextHeldAt(s())).toBe(Date.parse('2026-06-10T11:00:00.000Z'));
    expect(msUntilNextHeld(s(), new Date('2026-06-10T10:00:00Z'))).toBe(3_600_000);
    expect(msUntilNextHeld(s(), AT)).toBe(0);
    expect(nextHeldAt(customer())).toBeUndefined();
    expect(msUntilNextHeld(customer(), AT)).toBeUndefined();
  });

  test('due ones are taken out in the order they were held', () => {
    const state = s();
    expect(takeDue(state, AT.getTime()).map((a) => a.request.id)).toEqual(['b', 'c']);
    expect(state.pending.map((p) => p.request.id)).toEqual(['a']);
    expect(takeDue(state, AT.getTime())).toEqual([]);
  });

  test('resume releases what the pause held, whenever its hold would end', () => {
    const state = s();
    expect(releaseHeld(state, 'paused')).toEqual([{ request: request({ id: 'b' }), skip: [] }]);
    expect(state.pending.map((p) => p.request.id)).toEqual(['a', 'c']);
  });
});

test("the UI's current details: paused, running journeys, held messages, the last delivery", () => {
  const s = customer((c) => {
    c.paused = true;
    c.journeys['journey:cart:carla:A'] = {
      workflowId: 'journey:cart:carla:A',
      journey: 'cart',
      key: 'A',
      status: 'running',
      enteredAt: AT.toISOString(),
      entries: 1,
    };
    c.journeys['journey:welcome:carla'] = {
      workflowId: 'journey:welcome:carla',
      journey: 'welcome',
      status: 'completed',
      enteredAt: AT.toISOString(),
      entries: 1,
    };
    c.pending = [{ request: request(), notBefore: '2026-06-11T12:00:00.000Z', reason: 'paused', skip: [] }];
    c.ledger = [{ ...entry('x', 'suppressed'), reason: 'frequency-cap' }];
  });
  expect(customerDetails(s).split('\n\n')).toEqual([
    '**customer carla** · **paused** (messages held until resume)',
    'in 1 journey(s): cart:A',
    'holding `cart/reminder` (paused) until 2026-06-11T12:00:00.000Z',
    'last delivery: `cart/reminder` suppressed (frequency-cap) at 2026-06-10T12:00:00.000Z',
  ]);
  expect(customerDetails(customer())).toBe('**customer carla**\n\nin no journey');
});
