import type { CustomerEvent } from '../../sdk/events';
import { type LedgerEntry, LIMITS, appendLedger, initialState, recordEvent } from '../../domain/customerState';

const AT = new Date('2026-06-10T12:00:00Z');

function event(messageId: string, overrides: Partial<CustomerEvent> = {}): CustomerEvent {
  return { messageId, type: 'track', customerId: 'cus_1', name: 'Signed Up', properties: {}, traits: {}, context: {}, ...overrides };
}
const identify = (messageId: string, traits: Record<string, unknown>) => event(messageId, { type: 'identify', name: 'identify', traits });

function entry(id: string, status: LedgerEntry['status'] = 'sent'): LedgerEntry {
  return { id, at: AT.toISOString(), journey: 'welcome', template: 'welcome/hello', topic: 'marketing', channel: 'email', status };
}

describe('recordEvent', () => {
  test('a retried messageId is recorded once', () => {
    const s = initialState('cus_1');
    expect(recordEvent(s, event('m1'), AT)).toBe(true);
    expect(recordEvent(s, event('m1', { name: 'Something Else' }), AT)).toBe(false);
    expect(s.eventsReceived).toBe(1);
    expect(s.recentEvents).toEqual([{ name: 'Signed Up', messageId: 'm1', at: '2026-06-10T12:00:00.000Z' }]);
  });

  test('identify merges traits and fills email, phone and timezone', () => {
    const s = initialState('cus_1');
    recordEvent(s, identify('m1', { firstName: 'Ada', plan: 'pro', email: 'ada@example.com', phone: '+15555550100', timezone: 'Europe/Berlin' }), AT);
    expect(s.traits).toMatchObject({ firstName: 'Ada', plan: 'pro' });
    expect(s.identities).toEqual({ email: 'ada@example.com', phone: '+15555550100', timezone: 'Europe/Berlin' });
    recordEvent(s, identify('m2', { plan: 'team' }), AT);
    expect(s.traits).toMatchObject({ firstName: 'Ada', plan: 'team' });
  });

  test('a track event does not change traits', () => {
    const s = initialState('cus_1');
    recordEvent(s, event('m1', { properties: { email: 'other@example.com', plan: 'free' } }), AT);
    expect(s.traits).toEqual({});
    expect(s.identities.email).toBeUndefined();
  });

  test('context.timezone sets the customer timezone', () => {
    const s = initialState('cus_1');
    expect(s.identities.timezone).toBe('UTC');
    recordEvent(s, event('m1', { context: { timezone: 'Asia/Tokyo' } }), AT);
    expect(s.identities.timezone).toBe('Asia/Tokyo');
  });

  test('null removes a trait', () => {
    const s = initialState('cus_1');
    recordEvent(s, identify('m1', { firstName: 'Ada', coupon: 'SAVE10' }), AT);
    recordEvent(s, identify('m2', { coupon: null }), AT);
    expect(s.traits).toEqual({ firstName: 'Ada' });
  });

  test('__proto__, constructor and prototype keys are ignored', () => {
    const s = initialState('cus_1');
    const traits = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "x", "prototype": "y", "plan": "pro"}');
    recordEvent(s, identify('m1', traits), AT);
    expect(Object.keys(s.traits)).toEqual(['plan']);
    expect(Object.getPrototypeOf(s.traits)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test(`remembers the last ${LIMITS.seenMessageIds} messageIds only`, () => {
    const s = initialState('cus_1');
    for (let i = 0; i <= LIMITS.seenMessageIds; i++) recordEvent(s, event(`m${i}`), AT);
    expect(s.seenMessageIds).toHaveLength(2000);
    expect(s.recentEvents).toHaveLength(50);
    expect(recordEvent(s, event(`m${LIMITS.seenMessageIds}`), AT)).toBe(false); // newest still deduped
    expect(recordEvent(s, event('m0'), AT)).toBe(true); // oldest forgotten
  });
});

describe('appendLedger', () => {
  test(`keeps the newest ${LIMITS.ledger} entries`, () => {
    const s = initialState('cus_1');
    for (let i = 0; i < 501; i++) appendLedger(s, entry(`j/${i}`));
    expect(s.ledger).toHaveLength(500);
    expect(s.ledger[0].id).toBe('j/1');
    expect(s.ledger[499].id).toBe('j/500');
  });

  test('an entry with a known id is updated in place', () => {
    const s = initialState('cus_1');
    appendLedger(s, entry('j/1', 'sending'));
    appendLedger(s, entry('j/2', 'sent'));
    appendLedger(s, { ...entry('j/1', 'sent'), providerId: 'msg-42' });
    expect(s.ledger.map((e) => [e.id, e.status])).toEqual([
      ['j/1', 'sent'],
      ['j/2', 'sent'],
    ]);
    expect(s.ledger[0].providerId).toBe('msg-42');
  });
});

test('a deferred message keeps its holds when it is finally sent, so the ledger says why it was late', () => {
  const s = initialState('c1');
  const base = { id: 'j/1.1', journey: 'welcome', template: 'welcome/hello', topic: 'marketing' as const };
  appendLedger(s, { ...base, at: '2026-06-10T03:00:00.000Z', status: 'deferred', reason: 'quiet-hours', until: '2026-06-10T12:00:00.000Z' });
  appendLedger(s, { ...base, at: '2026-06-10T12:00:00.000Z', status: 'sending', channel: 'email' });
  appendLedger(s, { ...base, at: '2026-06-10T12:00:01.000Z', status: 'sent', channel: 'email' });
  expect(s.ledger).toHaveLength(1);
  expect(s.ledger[0]).toMatchObject({ status: 'sent', holds: [{ at: '2026-06-10T03:00:00.000Z', reason: 'quiet-hours', until: '2026-06-10T12:00:00.000Z' }] });
});
