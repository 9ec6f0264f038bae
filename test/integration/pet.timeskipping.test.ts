// The pet-lifecycle journey on the real engine (time-skipping server, real SMTP): months of a pet's life
// in seconds, with the negative rules a pet owner would notice first.
import type { SimulationClock } from '../../simulate/clock';
import { stateQuery } from '../../domain/messages';
import type { RunningEngine } from '../helpers/engine';
import type { SmtpSink } from '../../harness/smtpSink';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';

let h: TimeSkippingHarness;
let smtp: SmtpSink;
let engine: RunningEngine;
let clock: SimulationClock;
const DAY = 86_400_000;

beforeAll(async () => {
  h = await startTimeSkippingHarness({ policy: { caps: { perDay: 5, perWeek: 10 }, quietHours: { start: '21:00', end: '08:00' } } });
  ({ smtp, engine, clock } = h);
});

afterAll(async () => {
  await h?.stop();
});

const later = async (ms: number) => clock.advanceTo(new Date((await clock.now()).getTime() + ms));
const templates = (id: string) => smtp.mailsTo(`${id}@example.com`).map((m) => String(m.headers.get('x-omnijourney-template')));
const daysAgo = async (days: number) => new Date((await clock.now()).getTime() - days * DAY).toISOString().slice(0, 10);

async function owner(id: string) {
  h.watch(id);
  await engine.send({
    customerId: id,
    type: 'identify',
    name: 'identify',
    traits: { email: `${id}@example.com`, firstName: 'Maya', timezone: 'America/Chicago' },
  });
}

const adopt = async (customerId: string, pet: Record<string, unknown>) =>
  engine.send({ customerId, name: 'pet.adopted', properties: { species: 'dog', ...pet } });

test('two dogs run as two journeys; the five-year-old never gets a puppy message; mails go out at 09:00 Chicago time', async () => {
  await owner('maya');
  await adopt('maya', { petId: 'rex', name: 'Rex', breed: 'Labrador Retriever', birthDate: await daysAgo(60) });
  await adopt('maya', { petId: 'bella', name: 'Bella', breed: 'Beagle', birthDate: await daysAgo(5 * 365 + 30) });
  await engine.started('journey:pet-lifecycle:maya:rex');
  await engine.started('journey:pet-lifecycle:maya:bella');
  await later(130 * DAY);

  const got = templates('maya');
  expect(got).toEqual(
    expect.arrayContaining(['pet-lifecycle/puppy-welcome', 'pet-lifecycle/adult-welcome', 'pet-lifecycle/puppy-kindergarten', 'pet-lifecycle/puppy-insurance']),
  );
  const ledger = (await engine.client.workflow.getHandle('customer:maya').query(stateQuery)).ledger;
  const bellas = ledger.filter((e) => e.key === 'bella').map((e) => e.template);
  expect(bellas).toContain('pet-lifecycle/adult-welcome');
  expect(bellas.filter((t) => t.includes('/puppy-'))).toEqual([]);
  const kindergarten = ledger.find((e) => e.template === 'pet-lifecycle/puppy-kindergarten');
  const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/Chicago', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(kindergarten?.at ?? 0),
  );
  expect(local).toBe('09:00');
  expect(kindergarten).toMatchObject({ status: 'sent', key: 'rex' });
});

test('an excluded breed gets the wellness plan and never the insurance offer', async () => {
  await owner('otto');
  await adopt('otto', { petId: 'max', name: 'Max', breed: 'Rottweiler', birthDate: await daysAgo(30) });
  await later(100 * DAY);
  expect(templates('otto')).toContain('pet-lifecycle/puppy-wellness-plan');
  expect(templates('otto')).not.toContain('pet-lifecycle/puppy-insurance');
});

test('pet.deceased ends the journey at once: one condolence, nothing after, even when the event is repeated', async () => {
  await owner('dana');
  await adopt('dana', { petId: 'rex', name: 'Rex', breed: 'Labrador Retriever', birthDate: await daysAgo(40) });
  await later(2 * DAY);
  await engine.send({ customerId: 'dana', name: 'pet.deceased', properties: { petId: 'rex', name: 'Rex' } });
  await later(DAY);
  await engine.send({ customerId: 'dana', name: 'pet.deceased', properties: { petId: 'rex', name: 'Rex' } });
  await later(400 * DAY);
  expect(templates('dana')).toEqual(['pet-lifecycle/puppy-welcome', 'pet-condolence/message']);
  const s = await engine.client.workflow.getHandle('customer:dana').query(stateQuery);
  expect(s.journeys['journey:pet-lifecycle:dana:rex'].status).toBe('exited');
});

test('pet.updated with the real birth date changes course without a restart', async () => {
  await owner('finn');
  await adopt('finn', { petId: 'bo', name: 'Bo', breed: 'Beagle', birthDate: await daysAgo(40) });
  await later(DAY);
  // The vet says Bo is really about eight: senior from now on, no puppy class.
  await engine.send({ customerId: 'finn', name: 'pet.updated', properties: { petId: 'bo', birthDate: await daysAgo(8 * 365) } });
  await later(380 * DAY);
  const got = templates('finn');
  expect(got[0]).toBe('pet-lifecycle/puppy-welcome');
  expect(got.slice(1).filter((t) => t.includes('/puppy-'))).toEqual([]);
  expect(got).toContain('pet-lifecycle/senior-birthday');
  const s = await engine.client.workflow.getHandle('customer:finn').query(stateQuery);
  expect(s.journeys['journey:pet-lifecycle:finn:bo'].entries).toBe(1);
});
