// The engine's routing rules on the time-skipping server: entity keys, exit events, fallback,
// schema rejection, re-entry, operator exit, continue-as-new. Real mail through a real SMTP server.
import type { SimulationClock } from '../../simulate/clock';
import type { EngineConfig } from '../../domain/engineConfig';
import { journeyExitSignal, journeyStatusQuery, stateQuery } from '../../domain/messages';
import type { RunningEngine } from '../helpers/engine';
import type { SmtpSink } from '../../harness/smtpSink';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';

let h: TimeSkippingHarness;
let smtp: SmtpSink;
let engine: RunningEngine;
let clock: SimulationClock;
const HOUR = 3_600_000;
const noQuietHours: Partial<EngineConfig> = { policy: { caps: { perDay: 10, perWeek: 20 }, quietHours: null } };

beforeAll(async () => {
  // No SMS provider on this worker.
  h = await startTimeSkippingHarness(noQuietHours, 'Shop <shop@acme.test>');
  ({ smtp, engine, clock } = h);
});

afterAll(async () => {
  await h?.stop();
});

const mailsTo = (address: string) => smtp.mailsTo(address);
const later = async (ms: number) => clock.advanceTo(new Date((await clock.now()).getTime() + ms));
const state = (id: string) => engine.client.workflow.getHandle(`customer:${id}`).query(stateQuery);

async function customer(id: string, traits: Record<string, unknown> = {}) {
  h.watch(id);
  await engine.send({ customerId: id, type: 'identify', name: 'identify', traits: { email: `${id}@example.com`, ...traits } });
}

const cart = (cartId: string, name = 'Trail shoes') => ({ cartId, items: [{ sku: `sku-${cartId}`, name, price: 89 }], value: 89 });

test('two carts run as two journeys; buying one ends only that one; the SMS step falls back to email', async () => {
  await customer('carla', { firstName: 'Carla' });
  await engine.send({ customerId: 'carla', name: 'checkout.started', properties: cart('A', 'Trail shoes') });
  await engine.send({ customerId: 'carla', name: 'checkout.started', properties: cart('B', 'Rain jacket') });
  await engine.started('journey:abandoned-cart:carla:A');
  await engine.started('journey:abandoned-cart:carla:B');

  await later(1 * HOUR + 60_000);
  expect(mailsTo('carla@example.com').map((m) => m.subject)).toEqual(['You left 1 item in your cart', 'You left 1 item in your cart']);

  await engine.send({ customerId: 'carla', name: 'order.completed', properties: { orderId: 'o-1', cartId: 'A' } });
  await later(24 * HOUR);

  const mails = mailsTo('carla@example.com');
  expect(mails).toHaveLength(3);
  expect(mails[2].subject).toBe('Still thinking it over?');
  expect(mails[2].text).toContain('Rain jacket');

  const s = await state('carla');
  expect(s.journeys['journey:abandoned-cart:carla:A'].status).toBe('exited');
  expect(s.journeys['journey:abandoned-cart:carla:B'].status).toBe('completed');
  // No SMS consent: the policy skipped SMS and used the next channel in the list.
  const reminder2 = s.ledger.find((e) => e.template === 'abandoned-cart/reminder-2');
  expect(reminder2).toMatchObject({ status: 'sent', channel: 'email', key: 'B' });
  const a = await engine.client.workflow.getHandle('journey:abandoned-cart:carla:A').query(journeyStatusQuery);
  expect(a.timeline.at(-1)).toMatchObject({ kind: 'exited', reason: 'order.completed' });
});

test('an event that fails the journey schema is recorded with the field and starts nothing', async () => {
  await customer('rex');
  await engine.send({ customerId: 'rex', name: 'checkout.started', properties: { items: [], value: -5 } });
  await clock.settle();
  const s = await state('rex');
  expect(s.journeys).toEqual({});
  expect(s.rejections).toHaveLength(1);
  expect(s.rejections[0]).toMatchObject({ journey: 'abandoned-cart', event: 'checkout.started' });
  expect(s.rejections[0].error).toContain('properties.cartId');
  expect(s.rejections[0].error).toContain('properties.value');
  // The customer workflow is still alive and takes the next, valid event.
  await engine.send({ customerId: 'rex', name: 'checkout.started', properties: cart('C') });
  await engine.started('journey:abandoned-cart:rex:C');
});

test("re-entry 'never': signing up twice runs the welcome journey once", async () => {
  await customer('nina');
  await engine.send({ customerId: 'nina', name: 'user.signed_up', properties: {} });
  await later(HOUR);
  await engine.send({ customerId: 'nina', name: 'user.signed_up', properties: {} });
  await later(HOUR);
  expect(mailsTo('nina@example.com').map((m) => m.subject)).toEqual(['Welcome to Acme, there!']);
  expect((await state('nina')).journeys['journey:welcome:nina'].entries).toBe(1);
});

test("re-entry 'one-at-a-time': a new checkout for a running cart does not start a second run", async () => {
  await customer('omar');
  await engine.send({ customerId: 'omar', name: 'checkout.started', properties: cart('D') });
  await engine.send({ customerId: 'omar', name: 'checkout.started', properties: cart('D') });
  await later(2 * HOUR);
  expect(mailsTo('omar@example.com')).toHaveLength(1);
  await later(24 * HOUR);
  // Finished: the same cart may enter again.
  await engine.send({ customerId: 'omar', name: 'checkout.started', properties: cart('D') });
  await later(2 * HOUR);
  expect((await state('omar')).journeys['journey:abandoned-cart:omar:D'].entries).toBe(2);
  expect(mailsTo('omar@example.com').map((m) => m.subject)).toEqual([
    'You left 1 item in your cart',
    'Still thinking it over?',
    'You left 1 item in your cart',
  ]);
});

test('an operator exit stops a journey before its next message', async () => {
  await customer('pia');
  await engine.send({ customerId: 'pia', name: 'checkout.started', properties: cart('E') });
  const journey = await engine.started('journey:abandoned-cart:pia:E');
  await clock.settle();
  await journey.signal(journeyExitSignal, { reason: 'support asked us to stop' });
  await later(30 * HOUR);
  expect(mailsTo('pia@example.com')).toHaveLength(0);
  const status = await journey.query(journeyStatusQuery);
  expect(status.status).toBe('exited');
  expect(status.timeline.at(-1)).toMatchObject({ kind: 'exited', reason: 'support asked us to stop' });
});
