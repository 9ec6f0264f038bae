// Journey workflow IDs do not collide (issue 14, point 6), on the time-skipping server with real mail:
// customer `carol:x` with cart `c1` and customer `carol` with cart `x:c1` each get their own abandoned-cart
// journey and reminder (before, both mapped to `journey:abandoned-cart:carol:x:c1` and the second never
// started). A run started under the old ID before the change keeps it: the customer workflow still finds it
// (no second run for the same cart), forwards events to it, and only the next new run gets the encoded ID.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { CustomerEvent } from '../../sdk/events';
import { initialState, type CustomerState } from '../../domain/customerState';
import type { EngineConfig } from '../../domain/engineConfig';
import type { JourneyInput } from '../../workflows/journey';
import { customerWorkflowId, eventSignal, journeyStatusQuery, journeyWorkflowId, legacyJourneyWorkflowId, stateQuery } from '../../domain/messages';
import { CUSTOMER_ID, JOURNEY_NAME, JOURNEY_STEP, JOURNEY_VERSION } from '../../domain/searchAttributes';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';

const HOUR = 3_600_000;
const engineConfig: Partial<EngineConfig> = { policy: { caps: { perDay: 10, perWeek: 20 }, quietHours: null } };

let h: TimeSkippingHarness;

beforeAll(async () => {
  h = await startTimeSkippingHarness(engineConfig, 'Shop <shop@acme.test>');
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const later = async (ms: number) => h.clock.advanceTo(new Date((await h.clock.now()).getTime() + ms));
const state = (id: string) => h.engine.client.workflow.getHandle(customerWorkflowId(id)).query(stateQuery);
const cart = (cartId: string, name: string) => ({ cartId, items: [{ sku: `sku-${name}`, name, price: 50 }], value: 50 });

async function exists(workflowId: string): Promise<boolean> {
  try {
    await h.engine.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

test('carol:x with cart c1 and carol with cart x:c1 each get their own journey and reminder', async () => {
  for (const [customerId, email, cartId, item] of [
    ['carol:x', 'carol-x@example.com', 'c1', 'Trail shoes'],
    ['carol', 'carol@example.com', 'x:c1', 'Rain jacket'],
  ]) {
    h.watch(customerId);
    await h.engine.send({ customerId, type: 'identify', name: 'identify', traits: { email } });
    await h.engine.send({ customerId, name: 'checkout.started', properties: cart(cartId, item) });
  }
  const carolX = await h.engine.started('journey:abandoned-cart:carol%3Ax:c1');
  const carol = await h.engine.started('journey:abandoned-cart:carol:x%3Ac1');
  expect(await exists('journey:abandoned-cart:carol:x:c1')).toBe(false); // the shared ID of before

  await later(HOUR + 60_000);
  const reminders = (address: string) =>
    h.smtp
      .mailsTo(address)
      .map((m) => [m.subject, (m.text ?? '').includes('Trail shoes') ? 'Trail shoes' : (m.text ?? '').includes('Rain jacket') ? 'Rain jacket' : '?']);
  expect(reminders('carol-x@example.com')).toEqual([['You left 1 item in your cart', 'Trail shoes']]);
  expect(reminders('carol@example.com')).toEqual([['You left 1 item in your cart', 'Rain jacket']]);

  // Each customer's record is under its run's own ID, with the customer and cart it is for.
  expect(Object.values((await state('carol:x')).journeys)).toEqual([
    expect.objectContaining({ workflowId: 'journey:abandoned-cart:carol%3Ax:c1', key: 'c1', status: 'running' }),
  ]);
  expect(Object.values((await state('carol')).journeys)).toEqual([
    expect.objectContaining({ workflowId: 'journey:abandoned-cart:carol:x%3Ac1', key: 'x:c1', status: 'running' }),
  ]);
  expect(await carolX.query(journeyStatusQuery)).toMatchObject({ customerId: 'carol:x', key: 'c1' });
  expect(await carol.query(journeyStatusQuery)).toMatchObject({ customerId: 'carol', key: 'x:c1' });

  // Buying one cart ends only that customer's journey.
  await h.engine.send({ customerId: 'carol', name: 'order.completed', properties: { orderId: 'o-1', cartId: 'x:c1' } });
  await later(24 * HOUR);
  expect((await state('carol')).journeys['journey:abandoned-cart:carol:x%3Ac1'].status).toBe('exited');
  expect((await state('carol:x')).journeys['journey:abandoned-cart:carol%3Ax:c1'].status).toBe('completed');
  expect(h.smtp.mailsTo('carol-x@example.com').map((m) => m.subject)).toEqual(['You left 1 item in your cart', 'Still thinking it over?']);
  expect(h.smtp.mailsTo('carol@example.com')).toHaveLength(1);
});

test('a run started under the old ID keeps it: found, sent events, not doubled; the next run gets the new ID', async () => {
  const customerId = 'dana:x';
  const key = 'y:c2';
  const oldId = legacyJourneyWorkflowId('abandoned-cart', customerId, key);
  const newId = journeyWorkflowId('abandoned-cart', customerId, key);
  expect([oldId, newId]).toEqual(['journey:abandoned-cart:dana:x:y:c2', 'journey:abandoned-cart:dana%3Ax:y%3Ac2']);
  h.watch(customerId);
  const now = (await h.clock.now()).toISOString();

  // What the engine left before the change: the journey running under the old ID, started by the customer
  // workflow, whose state (carried across continue-as-new) records it under that ID.
  const entry = { name: 'checkout.started', messageId: 'dana-checkout-1', properties: cart(key, 'Tent'), receivedAt: now };
  const journeyInput: JourneyInput = {
    journey: 'abandoned-cart',
    customerId,
    key,
    entryNo: 1,
    entry,
    traits: { email: 'dana@example.com' },
    timezone: 'UTC',
    clockOffsetMs: 0,
  };
  await h.engine.client.workflow.start('journeyWorkflow', {
    workflowId: oldId,
    taskQueue: h.engine.taskQueue,
    args: [journeyInput],
    typedSearchAttributes: [
      { key: CUSTOMER_ID, value: customerId },
      { key: JOURNEY_NAME, value: 'abandoned-cart' },
      { key: JOURNEY_VERSION, value: 1 },
      { key: JOURNEY_STEP, value: 'entered' },
    ],
  });
  const before: CustomerState = {
    ...initialState(customerId),
    traits: { email: 'dana@example.com' },
    identities: { email: 'dana@example.com', timezone: 'UTC' },
    seenMessageIds: ['dana-checkout-1'],
    eventsReceived: 1,
    journeys: { [oldId]: { workflowId: oldId, journey: 'abandoned-cart', key, status: 'running', enteredAt: now, entries: 1 } },
  };
  const identify: CustomerEvent = {
    messageId: 'dana-identify-2',
    type: 'identify',
    customerId,
    name: 'identify',
    properties: {},
    traits: { firstName: 'Dana' },
    context: {},
  };
  await h.engine.client.workflow.signalWithStart('customerWorkflow', {
    workflowId: customerWorkflowId(customerId),
    taskQueue: h.engine.taskQueue,
    args: [{ customerId, config: engineConfig, state: before }],
    signal: eventSignal,
    signalArgs: [identify],
    typedSearchAttributes: [{ key: CUSTOMER_ID, value: customerId }],
  });

  // After the change: the same cart checked out again while its run is going does not start a second one.
  await h.engine.send({ customerId, name: 'checkout.started', properties: cart(key, 'Tent') });
  await h.clock.settle();
  expect(await exists(newId)).toBe(false);
  expect(Object.keys((await state(customerId)).journeys)).toEqual([oldId]);

  // The old run sends its reminder (to the customer workflow it names), and gets the order that ends it.
  await later(HOUR + 60_000);
  expect(h.smtp.mailsTo('dana@example.com').map((m) => m.subject)).toEqual(['You left 1 item in your cart']);
  expect((await state(customerId)).ledger.find((e) => e.template === 'abandoned-cart/reminder-1')).toMatchObject({ status: 'sent', id: `${oldId}/1.1` });
  await h.engine.send({ customerId, name: 'order.completed', properties: { orderId: 'o-9', cartId: key } });
  await h.clock.settle();
  expect((await state(customerId)).journeys[oldId]).toMatchObject({ status: 'exited', entries: 1 });
  expect((await h.engine.client.workflow.getHandle(oldId).query(journeyStatusQuery)).timeline.at(-1)).toMatchObject({
    kind: 'exited',
    reason: 'order.completed',
  });

  // A new checkout of the cart is a new run: it gets the encoded ID, and counts as the cart's second entry.
  await h.engine.send({ customerId, name: 'checkout.started', properties: cart(key, 'Tent') });
  await h.engine.started(newId);
  await later(HOUR + 60_000);
  const s = await state(customerId);
  expect(s.journeys[newId]).toMatchObject({ workflowId: newId, key, status: 'running', entries: 2 });
  expect(s.journeys[oldId]).toMatchObject({ status: 'exited' });
  expect(s.ledger.filter((e) => e.template === 'abandoned-cart/reminder-1').map((e) => e.id)).toEqual([`${oldId}/1.1`, `${newId}/2.1`]);
  expect(h.smtp.mailsTo('dana@example.com')).toHaveLength(2);
});
