// Outcomes on the real engine (time-skipping server): the facts a run records, a holdout's control arm that
// gets nothing but is still measured on the goal, and conversions after a run's end within goal.within.
import type { Fact } from '../../domain/facts';
import { pickVariant } from '../../sdk/split';
import type { SimulationClock } from '../../simulate/clock';
import type { RunningEngine } from '../helpers/engine';
import { bundleWithTestJourneys } from '../helpers/engine';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';

let h: TimeSkippingHarness;
let engine: RunningEngine;
let clock: SimulationClock;
const facts: Fact[] = [];
const DAY = 24 * 3_600_000;

beforeAll(async () => {
  h = await startTimeSkippingHarness({ policy: { caps: { perDay: 10, perWeek: 50 }, quietHours: null } }, undefined, bundleWithTestJourneys(), {
    recordFact: (f) => void facts.push(f),
  });
  ({ engine, clock } = h);
});

afterAll(async () => {
  await h?.stop();
});

const later = async (ms: number) => clock.advanceTo(new Date((await clock.now()).getTime() + ms));
const of = (id: string) => facts.filter((f) => f.customerId === id);
const kinds = (id: string) => of(id).map((f) => `${f.kind}${f.status ? `:${f.status}` : ''}${f.reason ? `:${f.reason}` : ''}${f.arm ? `:${f.arm}` : ''}`);

/** Customers whose deterministic arm (sdk/split.ts) is `arm`. */
function customersIn(arm: string, n: number, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++)
    if (pickVariant(`${prefix}${i}:holdout-offer:holdout`, { control: 50, treatment: 50 }) === arm) out.push(`${prefix}${i}`);
  return out;
}

test('a holdout: the control arm gets nothing, the treatment its offer; a goal event within 14 days of the last message (or the end) converts the ended run, later ones do not', async () => {
  const [control, lateControl] = customersIn('control', 2, 'ctl-');
  const [treated, lateTreated] = customersIn('treatment', 2, 'trt-');
  const all = [control, lateControl, treated, lateTreated];
  for (const id of all) {
    h.watch(id);
    await engine.send({ customerId: id, type: 'identify', name: 'identify', traits: { email: `${id}@example.com` } });
    await engine.send({ customerId: id, name: 'trial.started' });
  }
  await later(3 * DAY); // every run has ended: the control at once, the treatment after its 2-day sleep

  expect(kinds(control)).toEqual(['entered', 'split:control', 'completed']);
  expect(kinds(treated)).toEqual(['entered', 'split:treatment', 'step', 'delivery:sent', 'completed']);
  // The customer workflow's delivery fact names the run and the journey's version, as the run's own facts do.
  const sent = of(treated).find((f) => f.kind === 'delivery');
  expect(sent).toMatchObject({ journey: 'holdout-offer', version: 1, template: 'welcome/hello', channel: 'email', run: of(treated)[0].run });
  expect(h.smtp.mailsTo(`${control}@example.com`)).toHaveLength(0);
  expect(h.smtp.mailsTo(`${treated}@example.com`)).toHaveLength(1);

  // 3 days after the end (control) or the mail (treatment): within 14 days, both convert after the end.
  for (const id of [control, treated]) await engine.send({ customerId: id, name: 'subscription.started' });
  await later(15 * DAY);
  // 18 days after: outside the window, no conversion.
  for (const id of [lateControl, lateTreated]) await engine.send({ customerId: id, name: 'subscription.started' });
  await later(DAY);

  for (const id of [control, treated]) {
    const converted = of(id).filter((f) => f.kind === 'converted');
    expect(converted).toEqual([expect.objectContaining({ reason: 'after-end', detail: 'subscription.started', journey: 'holdout-offer', version: 1 })]);
    // Attributed to the run its split fact belongs to, so the report counts it for that arm.
    expect(converted[0].run).toBe(of(id).find((f) => f.kind === 'split')?.run);
  }
  for (const id of [lateControl, lateTreated]) expect(of(id).filter((f) => f.kind === 'converted')).toEqual([]);
  // A second goal event converts nothing more.
  await engine.send({ customerId: control, name: 'subscription.started', messageId: 'again' });
  await later(DAY);
  expect(of(control).filter((f) => f.kind === 'converted')).toHaveLength(1);

  // Each fact once (ids are unique), and ids are <workflowId>/<runId>/<n>.
  const ids = facts.map((f) => f.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const f of facts) expect(f.id).toBe(`${f.workflowId}/${f.runId}/${f.id.split('/').at(-1)}`);
});
