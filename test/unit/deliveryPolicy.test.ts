import type { Channel } from '../../sdk/events';
import { type CustomerState, type DeliveryRequest, type LedgerEntry, applyConsent, initialState, recordEvent } from '../../domain/customerState';
import { DEFAULT_POLICY, decide } from '../../domain/deliveryPolicy';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOON_UTC = new Date('2026-06-10T12:00:00Z');

function customer(patch: (s: CustomerState) => void = () => {}): CustomerState {
  const s = initialState('cus_1');
  s.identities.email = 'ada@example.com';
  patch(s);
  return s;
}

function request(overrides: Partial<DeliveryRequest> = {}): DeliveryRequest {
  return {
    id: 'journey-1/1',
    journeyWorkflowId: 'journey-1',
    journey: 'welcome',
    channels: ['email'],
    template: 'welcome/hello',
    data: {},
    topic: 'marketing',
    urgent: false,
    requestedAt: NOON_UTC.toISOString(),
    ...overrides,
  };
}

let seq = 0;
function sentAgo(ms: number, extra: Partial<LedgerEntry> = {}): LedgerEntry {
  seq += 1;
  return {
    id: `old/${seq}`,
    at: new Date(NOON_UTC.getTime() - ms).toISOString(),
    journey: 'promo',
    template: 'promo/sale',
    topic: 'marketing',
    channel: 'email',
    status: 'sent',
    ...extra,
  };
}

const at = (s: CustomerState, r: DeliveryRequest = request(), now: Date = NOON_UTC, skip: Channel[] = []) => decide(s, r, now, DEFAULT_POLICY, skip);

describe('consent and addresses', () => {
  test('email is opt-out: sent without any recorded consent', () => {
    expect(at(customer())).toEqual({ kind: 'send', channel: 'email', to: 'ada@example.com' });
  });

  test('SMS needs an explicit opt-in', () => {
    const noOptIn = customer((s) => (s.identities.phone = '+15555550100'));
    expect(at(noOptIn, request({ channels: ['sms'] }))).toEqual({ kind: 'suppress', reason: 'no-consent', detail: 'no marketing consent for sms' });
    noOptIn.consent.channels.sms = true;
    expect(at(noOptIn, request({ channels: ['sms'] }))).toEqual({ kind: 'send', channel: 'sms', to: '+15555550100' });
  });

  test('a revoked marketing topic blocks marketing but not transactional mail', () => {
    const s = customer((c) => (c.consent.topics.marketing = false));
    expect(at(s)).toMatchObject({ kind: 'suppress', reason: 'no-consent', detail: 'no marketing consent for email' });
    expect(at(s, request({ topic: 'transactional' }))).toMatchObject({ kind: 'send', channel: 'email' });
  });

  test('a revoked channel blocks even transactional mail', () => {
    const s = customer((c) => (c.consent.channels.email = false));
    expect(at(s, request({ topic: 'transactional' }))).toEqual({ kind: 'suppress', reason: 'no-consent', detail: 'no transactional consent for email' });
  });

  test('a missing address suppresses with no-address', () => {
    expect(at(initialState('cus_2'))).toEqual({ kind: 'suppress', reason: 'no-address', detail: 'no email address on the profile' });
    const noPhone = customer((s) => (s.consent.channels.sms = true));
    expect(at(noPhone, request({ channels: ['sms'] }))).toMatchObject({ reason: 'no-address', detail: 'no phone number on the profile' });
  });
});

describe('fallback order [sms, email]', () => {
  const both = request({ channels: ['sms', 'email'] });

  test('picks email when there is no SMS consent', () => {
    expect(
      at(
        customer((s) => (s.identities.phone = '+15555550100')),
        both,
      ),
    ).toEqual({ kind: 'send', channel: 'email', to: 'ada@example.com' });
  });

  test('picks SMS when opted in, and email when SMS is skipped after a failure', () => {
    const s = customer((c) => {
      c.identities.phone = '+15555550100';
      c.consent.channels.sms = true;
    });
    expect(at(s, both)).toMatchObject({ channel: 'sms' });
    expect(at(s, both, NOON_UTC, ['sms'])).toMatchObject({ channel: 'email' });
  });

  test('when nothing works, the first problem is reported', () => {
    expect(at(initialState('cus_3'), both)).toEqual({ kind: 'suppress', reason: 'no-consent', detail: 'no marketing consent for sms' });
  });
});

describe('frequency caps', () => {
  test('a third marketing message within 24 h is suppressed', () => {
    const s = customer((c) => c.ledger.push(sentAgo(2 * HOUR), sentAgo(20 * HOUR)));
    expect(at(s)).toEqual({ kind: 'suppress', reason: 'frequency-cap', detail: '2 marketing messages in the last 24 h (cap 2)' });
  });

  test('the 24 h window is rolling', () => {
    const s = customer((c) => c.ledger.push(sentAgo(2 * HOUR), sentAgo(25 * HOUR)));
    expect(at(s)).toMatchObject({ kind: 'send' });
  });

  test('a sixth marketing message within 7 days is suppressed; one just older than 7 days no longer counts', () => {
    const five = [1, 2, 3, 4, 5].map((d) => sentAgo(d * DAY + HOUR));
    expect(at(customer((c) => c.ledger.push(...five)))).toEqual({
      kind: 'suppress',
      reason: 'frequency-cap',
      detail: '5 marketing messages in the last 7 days (cap 5)',
    });
    const oneTooOld = [1, 2, 3, 4].map((d) => sentAgo(d * DAY + HOUR)).concat(sentAgo(7 * DAY + 60_000));
    expect(at(customer((c) => c.ledger.push(...oneTooOld)))).toMatchObject({ kind: 'send' });
  });

  test("only marketing 'sent' and 'sending' entries count", () => {
    const notCounted = customer((c) =>
      c.ledger.push(
        sentAgo(HOUR, { status: 'suppressed' }),
        sentAgo(HOUR, { status: 'failed' }),
        sentAgo(HOUR, { status: 'deferred' }),
        sentAgo(HOUR, { topic: 'transactional' }),
        sentAgo(HOUR, { topic: 'transactional' }),
      ),
    );
    expect(at(notCounted)).toMatchObject({ kind: 'send' });
    const inFlight = customer((c) => c.ledger.push(sentAgo(HOUR), sentAgo(HOUR, { status: 'sending' })));
    expect(at(inFlight)).toMatchObject({ kind: 'suppress', reason: 'frequency-cap' });
  });

  test('transactional messages bypass the caps', () => {
    const s = customer((c) => c.ledger.push(...[1, 2, 3, 4, 5, 6].map((h) => sentAgo(h * HOUR))));
    expect(at(s, request({ topic: 'transactional' }))).toMatchObject({ kind: 'send', channel: 'email' });
  });
});

describe('quiet hours 21:00-08:00 local', () => {
  const tz = (zone: string) => customer((s) => (s.identities.timezone = zone));

  test('22:00 in Tokyo defers to 08:00 JST next morning', () => {
    expect(at(tz('Asia/Tokyo'), request(), new Date('2026-06-10T13:00:00Z'))).toEqual({
      kind: 'defer',
      reason: 'quiet-hours',
      until: new Date('2026-06-10T23:00:00Z'),
    });
  });

  test('23:00 in Los Angeles defers to 08:00 PDT', () => {
    expect(at(tz('America/Los_Angeles'), request(), new Date('2026-06-10T06:00:00Z'))).toEqual({
      kind: 'defer',
      reason: 'quiet-hours',
      until: new Date('2026-06-10T15:00:00Z'),
    });
  });

  test('the same instant is daytime for a customer in Berlin', () => {
    expect(at(tz('Europe/Berlin'), request(), new Date('2026-06-10T13:00:00Z'))).toMatchObject({ kind: 'send' });
  });

  test('the edges: 20:59 and 08:00 send, 21:00 and 07:59 defer', () => {
    const la = tz('America/Los_Angeles'); // PDT = UTC-7
    expect(at(la, request(), new Date('2026-06-10T03:59:00Z'))).toMatchObject({ kind: 'send' });
    expect(at(la, request(), new Date('2026-06-10T04:00:00Z'))).toMatchObject({ kind: 'defer' });
    expect(at(la, request(), new Date('2026-06-10T14:59:00Z'))).toEqual({ kind: 'defer', reason: 'quiet-hours', until: new Date('2026-06-10T15:00:00Z') });
    expect(at(la, request(), new Date('2026-06-10T15:00:00Z'))).toMatchObject({ kind: 'send' });
  });

  test('only transactional + urgent bypasses quiet hours', () => {
    const s = tz('Asia/Tokyo');
    const night = new Date('2026-06-10T13:00:00Z');
    expect(at(s, request({ topic: 'transactional', urgent: true }), night)).toMatchObject({ kind: 'send' });
    expect(at(s, request({ topic: 'transactional', urgent: false }), night)).toMatchObject({ kind: 'defer' });
    expect(at(s, request({ topic: 'marketing', urgent: true }), night)).toMatchObject({ kind: 'defer' });
  });

  test('no quiet hours when the policy has none', () => {
    const night = new Date('2026-06-10T13:00:00Z');
    expect(decide(tz('Asia/Tokyo'), request(), night, { ...DEFAULT_POLICY, quietHours: null })).toMatchObject({ kind: 'send' });
  });
});

describe('paused customers', () => {
  test('a paused customer is deferred by a day', () => {
    expect(at(customer((s) => (s.paused = true)))).toEqual({ kind: 'defer', reason: 'paused', until: new Date(NOON_UTC.getTime() + DAY) });
  });
});

describe('already-owned', () => {
  const track = (name: string, properties: Record<string, unknown>, messageId: string) =>
    ({ messageId, type: 'track', customerId: 'cus_1', name, properties, traits: {}, context: {} }) as const;

  test('an offer for a product the customer owns is suppressed; after selling it the offer goes out', () => {
    const s = customer();
    recordEvent(s, track('product.purchased', { productId: 'car-1', sku: 'model-y' }, 'm1'), NOON_UTC);
    const offer = request({ offers: ['model-y'] });
    expect(at(s, offer)).toEqual({ kind: 'suppress', reason: 'already-owned', detail: 'the customer already owns model-y' });
    // A transactional message about the product is not an offer.
    expect(at(s, { ...offer, topic: 'transactional' })).toMatchObject({ kind: 'send' });

    recordEvent(s, track('product.sold', { productId: 'car-1' }, 'm2'), NOON_UTC);
    expect(at(s, offer)).toMatchObject({ kind: 'send', channel: 'email' });
  });

  test('two of the same SKU: returning one still leaves one owned', () => {
    const s = customer();
    recordEvent(s, track('product.purchased', { productId: 'tv-1', sku: 'tv-55' }, 'm1'), NOON_UTC);
    recordEvent(s, track('product.purchased', { productId: 'tv-2', sku: 'tv-55' }, 'm2'), NOON_UTC);
    recordEvent(s, track('product.returned', { productId: 'tv-2', sku: 'tv-55' }, 'm3'), NOON_UTC);
    expect(at(s, request({ offers: ['tv-55'] }))).toMatchObject({ kind: 'suppress', reason: 'already-owned' });
    recordEvent(s, track('product.returned', { sku: 'tv-55' }, 'm4'), NOON_UTC);
    expect(at(s, request({ offers: ['tv-55'] }))).toMatchObject({ kind: 'send' });
  });
});

describe('per-channel caps and per-channel topic consent', () => {
  test('an SMS cap of 1 a day suppresses the second marketing SMS while email still has room', () => {
    const s = customer((c) => {
      c.identities.phone = '+14155550123';
      c.consent.channels.sms = true;
      c.ledger.push(sentAgo(2 * HOUR, { channel: 'sms' }));
    });
    const policy = { ...DEFAULT_POLICY, quietHours: null, caps: { perDay: 2, perWeek: 5, channels: { sms: { perDay: 1 } } } };
    expect(decide(s, request({ channels: ['sms'] }), NOON_UTC, policy)).toEqual({
      kind: 'suppress',
      reason: 'frequency-cap',
      detail: '1 marketing sms messages in the last 24 h (sms cap 1)',
    });
    expect(decide(s, request({ channels: ['email'] }), NOON_UTC, policy)).toMatchObject({ kind: 'send', channel: 'email' });
  });

  test('a one-click unsubscribe (email:marketing) stops marketing email only: SMS marketing and transactional email still go', () => {
    const s = customer((c) => {
      c.identities.phone = '+14155550123';
      c.consent.channels.sms = true;
      applyConsent(c, { channel: 'email', topic: 'marketing', granted: false, source: 'one-click' }, NOON_UTC);
    });
    expect(at(s, request({ channels: ['email'] }))).toMatchObject({ kind: 'suppress', reason: 'no-consent' });
    expect(at(s, request({ channels: ['email', 'sms'] }))).toMatchObject({ kind: 'send', channel: 'sms' });
    expect(at(s, request({ channels: ['email'], topic: 'transactional' }))).toMatchObject({ kind: 'send', channel: 'email' });
    expect(s.consent.history).toEqual([{ at: NOON_UTC.toISOString(), channel: 'email', topic: 'marketing', granted: false, source: 'one-click' }]);
  });
});
