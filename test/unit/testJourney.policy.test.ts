// testJourney runs the engine's delivery policy (domain/deliveryPolicy.ts `decide`, with the engine's
// defaults) and pipeline steps (domain/deliverySteps.ts), so a journey's unit test shows what the customer
// sees: a message held by quiet hours, one suppressed by a cap, the channel a fallback lands on.
import { z } from 'zod';
import abandonedCart from '../../journeys/abandonedCart';
import welcome from '../../journeys/welcome';
import { defineJourney } from '../../sdk/journey';
import { type EarlierMessage, testJourney } from '../../testkit/testJourney';

const cart = { cartId: 'A', items: [{ sku: 's-1', name: 'Trail shoes', price: 89 }], value: 89 };

describe('quiet hours (default 21:00-08:00, customer-local)', () => {
  test('a welcome mail asked for at 22:30 in London goes out at 08:00, and the 3-day wait starts then', async () => {
    const r = await testJourney(welcome, { entry: {}, start: '2026-01-05T22:30:00Z', timezone: 'Europe/London' });
    expect(r.messages[0]).toMatchObject({
      template: 'welcome/hello',
      status: 'sent',
      at: '2026-01-05T22:30:00.000Z',
      held: [{ reason: 'quiet-hours', until: '2026-01-06T08:00:00.000Z' }],
      decidedAt: '2026-01-06T08:00:00.000Z',
      to: 'test-customer@example.com',
    });
    expect(r.messages[1]).toMatchObject({ template: 'welcome/first-project-nudge', at: '2026-01-09T08:00:00.000Z', status: 'sent' });
    expect(r.messages[1].held).toBeUndefined();
    expect(r.timeline.find((t) => t.kind === 'message')?.at).toBe('2026-01-06T08:00:00.000Z');
    expect(r.log).toContain('2026-01-05T22:30:00.000Z  held welcome/hello (quiet-hours) until 2026-01-06T08:00:00.000Z');
    expect(r.customer.ledger.find((e) => e.template === 'welcome/hello')).toMatchObject({
      status: 'sent',
      holds: [{ reason: 'quiet-hours', until: '2026-01-06T08:00:00.000Z' }],
    });
  });

  test("the customer's timezone decides: 22:30 UTC is 17:30 in New York, no hold", async () => {
    const r = await testJourney(welcome, { entry: {}, start: '2026-01-05T22:30:00Z', timezone: 'America/New_York' });
    expect(r.messages[0]).toMatchObject({ status: 'sent', decidedAt: '2026-01-05T22:30:00.000Z' });
    expect(r.messages[0].held).toBeUndefined();
  });

  test('options change the policy: other quiet hours, or none (QUIET_HOURS=off)', async () => {
    const off = await testJourney(welcome, { entry: {}, start: '2026-01-05T22:30:00Z', policy: { quietHours: null } });
    expect(off.messages[0]).toMatchObject({ status: 'sent', decidedAt: '2026-01-05T22:30:00.000Z' });
    const late = await testJourney(welcome, { entry: {}, start: '2026-01-05T22:30:00Z', policy: { quietHours: { start: '23:00', end: '07:00' } } });
    expect(late.messages[0].held).toBeUndefined();
  });

  test('an urgent transactional message goes out at night; a non-urgent one waits', async () => {
    const notice = (urgent: boolean) =>
      defineJourney({
        name: 'notice',
        version: 1,
        trigger: { event: 'account.locked', schema: z.object({}) },
        async run(j) {
          await j.send('email', 'notice/locked', {}, { topic: 'transactional', urgent });
        },
      });
    const at = { entry: {}, start: '2026-01-05T02:00:00Z' };
    expect((await testJourney(notice(true), at)).messages[0]).toMatchObject({ status: 'sent', urgent: true, decidedAt: '2026-01-05T02:00:00.000Z' });
    expect((await testJourney(notice(false), at)).messages[0]).toMatchObject({ status: 'sent', decidedAt: '2026-01-05T08:00:00.000Z' });
  });

  test('an exit while the message is held ends the run with the message still held (the engine sends it at 08:00)', async () => {
    const r = await testJourney(abandonedCart, {
      entry: cart,
      start: '2026-01-05T20:30:00Z',
      events: [{ at: '3h', name: 'order.completed', properties: { cartId: 'A' } }],
    });
    expect(r).toMatchObject({ outcome: 'exited', reason: 'order.completed', sent: [] });
    expect(r.messages).toMatchObject([{ template: 'abandoned-cart/reminder-1', status: 'held', held: [{ until: '2026-01-06T08:00:00.000Z' }] }]);
  });
});

describe('frequency caps (default 2 marketing messages a day, 5 a week)', () => {
  test('two marketing messages from other journeys in the last 24 h suppress the welcome mail; the nudge 3 days later goes out', async () => {
    const r = await testJourney(welcome, { entry: {}, sentBefore: [{ ago: '3 hours' }, { ago: '5 hours' }] });
    expect(r.messages[0]).toMatchObject({
      template: 'welcome/hello',
      status: 'suppressed',
      reason: 'frequency-cap',
      detail: '2 marketing messages in the last 24 h (cap 2)',
    });
    expect(r.sent).toEqual(['welcome/first-project-nudge', 'welcome/check-in']);
    expect(r.timeline.find((t) => t.kind === 'suppressed')).toMatchObject({ template: 'welcome/hello', reason: 'frequency-cap' });
  });

  test('the week cap counts this journey too, and raising the caps lets the mail through', async () => {
    const earlier: EarlierMessage[] = [{ ago: '25 hours' }, { ago: '26 hours' }, { ago: '27 hours' }, { ago: '28 hours' }];
    const r = await testJourney(welcome, { entry: {}, sentBefore: earlier });
    expect(r.messages.map((m) => [m.template, m.status, m.detail])).toEqual([
      ['welcome/hello', 'sent', undefined],
      ['welcome/first-project-nudge', 'suppressed', '5 marketing messages in the last 7 days (cap 5)'],
      ['welcome/check-in', 'sent', undefined],
    ]);
    const raised = await testJourney(welcome, { entry: {}, sentBefore: earlier, policy: { caps: { perDay: 2, perWeek: 10 } } });
    expect(raised.sent).toHaveLength(3);
  });

  test('transactional messages and earlier transactional messages do not count', async () => {
    const r = await testJourney(welcome, {
      entry: {},
      sentBefore: [
        { ago: '1 hour', topic: 'transactional' },
        { ago: '2 hours', topic: 'transactional' },
      ],
    });
    expect(r.messages[0].status).toBe('sent');
  });
});

describe('channels, consent and fallback', () => {
  const reminder2 = async (options: Omit<Parameters<typeof testJourney<typeof abandonedCart.trigger.schema>>[1], 'entry'>) =>
    (await testJourney(abandonedCart, { entry: cart, ...options })).messages[1];

  test('SMS needs an opt-in and a number: without either the SMS-or-email reminder goes by email', async () => {
    expect(await reminder2({})).toMatchObject({ channels: ['sms', 'email'], channel: 'email', to: 'test-customer@example.com', status: 'sent' });
    expect(await reminder2({ traits: { phone: '+14155550100' } })).toMatchObject({ channel: 'email' });
    expect(await reminder2({ consent: { channels: { sms: true } } })).toMatchObject({ channel: 'email' });
    expect(await reminder2({ consent: { channels: { sms: true } }, traits: { phone: '+14155550100' } })).toMatchObject({
      channel: 'sms',
      to: '+14155550100',
      status: 'sent',
    });
  });

  test('a provider failure on SMS falls back to email, as the engine does; with no channel left the send fails', async () => {
    const sms = { consent: { channels: { sms: true } }, traits: { phone: '+14155550100' } };
    const smsDown = {
      ...sms,
      deliver: (m: { channel: string }) => (m.channel === 'sms' ? { status: 'failed' as const, reason: 'PermanentDelivery' } : undefined),
    };
    const r = await testJourney(abandonedCart, { entry: cart, ...smsDown });
    expect(r.messages[1]).toMatchObject({ channel: 'email', status: 'sent' });
    expect(r.messages[1].reason).toBeUndefined();
    expect(r.customer.ledger.filter((e) => e.template === 'abandoned-cart/reminder-2').map((e) => [e.channel, e.status])).toEqual([
      ['sms', 'failed'],
      ['email', 'sent'],
    ]);
    const allDown = await testJourney(abandonedCart, { entry: cart, ...sms, deliver: () => ({ status: 'failed', reason: 'PermanentDelivery' }) });
    expect(allDown.messages.map((m) => [m.status, m.channel])).toEqual([
      ['failed', 'email'],
      ['failed', 'email'],
    ]);
  });

  test('no address and no consent are suppressed with the policy reason', async () => {
    expect((await testJourney(welcome, { entry: {}, traits: { email: null } })).messages[0]).toMatchObject({ status: 'suppressed', reason: 'no-address' });
    expect((await testJourney(welcome, { entry: {}, consent: { topics: { marketing: false } } })).messages[0]).toMatchObject({
      status: 'suppressed',
      reason: 'no-consent',
    });
  });
});
