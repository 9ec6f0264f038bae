// Targeted forwarding (issue 18, engine cost): the customer workflow forwards an event only to the running
// journeys that can use it (their exitOn, goal and `waits` events, and identify), on the time-skipping server.
// Each forward left out is a journeyEvent signal (a billable action, 7 history events) that is not there.
// And a run's end: the customer workflow learns it from the child's completion, with no journeyEnded signal.
import type { temporal } from '@temporalio/proto';
import type { EngineConfig } from '../../domain/engineConfig';
import { journeyStatusQuery, stateQuery } from '../../domain/messages';
import { END_BY_COMPLETION_PATCH, TARGETED_FORWARDING_PATCH } from '../../domain/routing';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';

let h: TimeSkippingHarness;
const noQuietHours: Partial<EngineConfig> = { policy: { caps: { perDay: 10, perWeek: 20 }, quietHours: null } };

beforeAll(async () => {
  h = await startTimeSkippingHarness(noQuietHours);
});

afterAll(async () => {
  await h?.stop();
});

const WELCOME = 'journey:welcome:fern';
const CART = 'journey:abandoned-cart:fern:F';

async function history(workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  return (await h.engine.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

/** How many events the customer workflow forwarded to this run. */
const forwards = async (workflowId: string): Promise<number> =>
  (await history(workflowId)).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'journeyEvent').length;

/** The patch IDs of the customer's markers (`patch-data` is plain JSON, not a payload the codec encrypts). */
const customerPatches = async (): Promise<string[]> =>
  (await history('customer:fern'))
    .flatMap((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? [])
    .map((p) => (JSON.parse(Buffer.from(p.data ?? []).toString('utf8')) as { id: string }).id);

/** The names of the signals this workflow received (`in`) or sent (`out`). */
async function signals(workflowId: string): Promise<{ in: string[]; out: string[] }> {
  const events = await history(workflowId);
  return {
    in: events.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []),
    out: events.flatMap((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ?? []),
  };
}

async function send(name: string, properties: Record<string, unknown> = {}): Promise<void> {
  await h.engine.send({ customerId: 'fern', name, properties });
  await h.clock.settle();
}

test('an event no running journey can use is forwarded to none; exitOn, waited-for and identify events still arrive and act', async () => {
  h.watch('fern');
  await h.engine.send({ customerId: 'fern', type: 'identify', name: 'identify', traits: { email: 'fern@example.com' } });
  // welcome: waits ['project.created'], exitOn user.deleted, goal subscription.started.
  await send('user.signed_up', { plan: 'pro' });
  await h.engine.started(WELCOME);
  // abandoned-cart: waits [], exitOn order.completed. welcome, running, has no use for the checkout.
  await send('checkout.started', { cartId: 'F', items: [{ sku: 'sku-F', name: 'Fern pot', price: 12 }], value: 12 });
  await h.engine.started(CART);
  expect(await forwards(WELCOME)).toBe(0);
  expect(await customerPatches()).toContain(TARGETED_FORWARDING_PATCH);

  await send('app.opened');
  expect([await forwards(WELCOME), await forwards(CART)]).toEqual([0, 0]);

  // Traits go to every run.
  await h.engine.send({ customerId: 'fern', type: 'identify', name: 'identify', traits: { firstName: 'Fern' } });
  await h.clock.settle();
  expect([await forwards(WELCOME), await forwards(CART)]).toEqual([1, 1]);

  // The waited-for event reaches welcome only, and wakes it: no nudge, on to the 30-day check-in.
  await send('project.created', { projectId: 'p-1' });
  expect([await forwards(WELCOME), await forwards(CART)]).toEqual([2, 1]);
  const welcome = await h.engine.client.workflow.getHandle(WELCOME).query(journeyStatusQuery);
  expect(welcome.timeline.filter((t) => t.kind === 'step').map((t) => t.step)).toEqual(['welcome', 'wait-for-first-project']);
  expect(welcome.waitingFor).toMatch(/^sleeping until /);

  // The cart's exitOn event reaches the cart only, and ends it.
  await send('order.completed', { orderId: 'o-1', cartId: 'F' });
  expect([await forwards(WELCOME), await forwards(CART)]).toEqual([2, 2]);
  const state = await h.engine.client.workflow.getHandle('customer:fern').query(stateQuery);
  expect(state.journeys[CART].status).toBe('exited');
  expect(state.journeys[WELCOME].status).toBe('running');
  const cart = await h.engine.client.workflow.getHandle(CART).query(journeyStatusQuery);
  expect(cart.timeline.at(-1)).toMatchObject({ kind: 'exited', reason: 'order.completed' });

  // welcome's exitOn event ends it.
  await send('user.deleted');
  expect(await forwards(WELCOME)).toBe(3);
  const ended = await h.engine.client.workflow.getHandle('customer:fern').query(stateQuery);
  expect(ended.journeys[WELCOME].status).toBe('exited');
  // One marker for the workflow run, recorded at the first forward left out.
  expect((await customerPatches()).filter((id) => id === TARGETED_FORWARDING_PATCH)).toHaveLength(1);

  // Both ends reached the customer as their children's completion: no journeyEnded signal either way, one marker.
  expect((await signals('customer:fern')).in).not.toContain('journeyEnded');
  expect((await signals(CART)).out).toEqual([]);
  expect((await signals(WELCOME)).out).toEqual(['deliveryRequest']);
  expect((await customerPatches()).filter((id) => id === END_BY_COMPLETION_PATCH)).toHaveLength(1);
});
