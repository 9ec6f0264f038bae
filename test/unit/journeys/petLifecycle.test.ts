// The pet-lifecycle journey's decisions: stages from the birth date, breed-restricted offers,
// corrections without a restart, and a hard stop when the pet dies or is rehomed.
import petCondolence from '../../../journeys/petCondolence';
import petLifecycle from '../../../journeys/petLifecycle';
import { offerTopic } from '../../../journeys/petLifecycle/offers';
import { milestones, stageAt } from '../../../journeys/petLifecycle/stages';
import { testJourney } from '../../../testkit/testJourney';

const start = '2026-03-02T15:00:00Z';
const rex = { petId: 'rex', name: 'Rex', species: 'dog' as const, breed: 'Labrador Retriever', birthDate: '2026-01-10' };
const sentWithDates = (r: Awaited<ReturnType<typeof testJourney>>) =>
  r.messages.filter((m) => m.status === 'sent').map((m) => `${m.at.slice(0, 10)} ${m.template}`);

describe('stages', () => {
  test('from the birth date: puppy under 1, adult to 7 (6 for giant breeds), senior after; kittens for cats', () => {
    const at = (d: string) => new Date(`${d}T12:00:00Z`);
    expect(stageAt(rex, at('2026-12-31'))).toBe('puppy');
    expect(stageAt(rex, at('2027-01-10'))).toBe('adult');
    expect(stageAt(rex, at('2033-01-09'))).toBe('adult');
    expect(stageAt(rex, at('2033-01-10'))).toBe('senior');
    expect(stageAt({ ...rex, breed: 'Great Dane' }, at('2032-01-10'))).toBe('senior');
    expect(stageAt({ ...rex, breed: 'Great Dane' }, at('2032-01-09'))).toBe('adult');
    expect(stageAt({ ...rex, species: 'cat', breed: 'Siamese' }, at('2026-06-01'))).toBe('kitten');
  });

  test('milestones carry the stage of their own date', () => {
    const m = milestones(rex);
    expect(m.find((x) => x.id === 'kindergarten')).toMatchObject({ date: '2026-03-21', stage: 'puppy' });
    expect(m.find((x) => x.id === 'birthday-1')).toMatchObject({ date: '2027-01-10', stage: 'adult', topic: 'birthday' });
    expect(m.find((x) => x.id === 'checkup')).toMatchObject({ date: '2033-01-24', stage: 'senior' });
  });

  test('an excluded breed gets the alternative offer, in any spelling', () => {
    expect(offerTopic('insurance', 'Labrador Retriever')).toBe('insurance');
    expect(offerTopic('insurance', '  Rottweiler ')).toBe('wellness-plan');
    expect(offerTopic('dental', 'Rottweiler')).toBe('dental');
  });
});

test("a puppy: welcome, puppy class, insurance, adult food, first birthday as an adult — each at 09:00 in the customer's timezone", async () => {
  const r = await testJourney(petLifecycle, {
    entry: rex,
    start,
    timezone: 'America/Chicago',
    events: [{ at: '400 days', name: 'pet.rehomed', properties: { petId: 'rex' } }],
  });
  expect(sentWithDates(r)).toEqual([
    '2026-03-02 pet-lifecycle/puppy-welcome',
    '2026-03-21 pet-lifecycle/puppy-kindergarten',
    '2026-05-10 pet-lifecycle/puppy-insurance',
    '2026-12-11 pet-lifecycle/puppy-food',
    '2027-01-10 pet-lifecycle/adult-birthday',
  ]);
  // 09:00 in Chicago: 14:00 UTC in winter (CST), 14:00 on 2026-03-21 is already CDT → 14:00Z is 09:00 CDT.
  expect(r.messages[1].at).toBe('2026-03-21T14:00:00.000Z');
  expect(r.messages[2].at).toBe('2026-05-10T14:00:00.000Z');
  expect(r.messages[3].at).toBe('2026-12-11T15:00:00.000Z');
  expect(r.outcome).toBe('exited');
});

test('a dog adopted at five never gets a puppy message', async () => {
  const r = await testJourney(petLifecycle, {
    entry: { ...rex, birthDate: '2021-01-20' },
    start,
    events: [{ at: '1100 days', name: 'pet.rehomed', properties: { petId: 'rex' } }],
  });
  const templates = r.messages.map((m) => m.template);
  expect(templates[0]).toBe('pet-lifecycle/adult-welcome');
  expect(templates.filter((t) => t.includes('/puppy-'))).toEqual([]);
  expect(templates).toContain('pet-lifecycle/senior-checkup'); // turns 7 in January 2028
  expect(templates).toEqual([
    'pet-lifecycle/adult-welcome',
    'pet-lifecycle/adult-birthday',
    'pet-lifecycle/senior-birthday',
    'pet-lifecycle/senior-checkup',
    'pet-lifecycle/senior-birthday',
  ]);
});

test('an excluded breed gets the wellness plan, never the insurance offer', async () => {
  const r = await testJourney(petLifecycle, {
    entry: { ...rex, breed: 'Rottweiler' },
    start,
    events: [{ at: '200 days', name: 'pet.rehomed', properties: { petId: 'rex' } }],
  });
  expect(r.sent).toContain('pet-lifecycle/puppy-wellness-plan');
  expect(r.sent).not.toContain('pet-lifecycle/puppy-insurance');
});

test('pet.updated with a corrected birth date changes course without a restart', async () => {
  // Adopted as a puppy; the vet finds he is really two years old.
  const r = await testJourney(petLifecycle, {
    entry: rex,
    start,
    events: [
      { at: '1 day', name: 'pet.updated', properties: { petId: 'rex', birthDate: '2024-01-10' } },
      { at: '800 days', name: 'pet.rehomed', properties: { petId: 'rex' } },
    ],
  });
  expect(sentWithDates(r)).toEqual([
    '2026-03-02 pet-lifecycle/puppy-welcome',
    '2027-01-10 pet-lifecycle/adult-birthday',
    '2027-02-09 pet-lifecycle/adult-dental',
    '2028-01-10 pet-lifecycle/adult-birthday',
  ]);
});

test('an update for another pet changes nothing', async () => {
  const r = await testJourney(petLifecycle, {
    entry: rex,
    start,
    events: [
      { at: '1 day', name: 'pet.updated', properties: { petId: 'luna', breed: 'Rottweiler' } },
      { at: '200 days', name: 'pet.rehomed', properties: { petId: 'rex' } },
    ],
  });
  expect(r.sent).toContain('pet-lifecycle/puppy-insurance');
});

test('pet.deceased ends it at once; the condolence journey sends one transactional note', async () => {
  const r = await testJourney(petLifecycle, { entry: rex, start, events: [{ at: '30 days', name: 'pet.deceased', properties: { petId: 'rex' } }] });
  expect(r).toMatchObject({ outcome: 'exited', reason: 'pet.deceased', endedAt: '2026-04-01T15:00:00.000Z' });
  expect(r.sent).toEqual(['pet-lifecycle/puppy-welcome', 'pet-lifecycle/puppy-kindergarten']);

  const c = await testJourney(petCondolence, { entry: { petId: 'rex', name: 'Rex' }, start });
  expect(c.messages).toEqual([expect.objectContaining({ template: 'pet-condolence/message', topic: 'transactional', data: { name: 'Rex' } })]);
});

test('the death of one pet does not end the journey of another', async () => {
  const r = await testJourney(petLifecycle, {
    entry: rex,
    start,
    events: [
      { at: '1 day', name: 'pet.deceased', properties: { petId: 'luna' } },
      { at: '30 days', name: 'pet.rehomed', properties: { petId: 'rex' } },
    ],
  });
  expect(r.sent).toEqual(['pet-lifecycle/puppy-welcome', 'pet-lifecycle/puppy-kindergarten']);
});
