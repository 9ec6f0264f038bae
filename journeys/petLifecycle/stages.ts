// Pet life stages and the milestones of a pet's life, as pure functions of the pet and the date.
// Stages come from the birth date, never from the adoption date.
import { addYears, ageInYears, resolveWakeTime } from '../../sdk/schedule';

export type Species = 'dog' | 'cat';
export type Stage = 'puppy' | 'kitten' | 'adult' | 'senior';

export interface Pet {
  petId: string;
  name: string;
  species: Species;
  breed: string;
  /** YYYY-MM-DD */
  birthDate: string;
}

/** Giant breeds age faster: senior at 6 instead of 7. */
export const GIANT_BREEDS = [
  'great dane',
  'mastiff',
  'english mastiff',
  'saint bernard',
  'newfoundland',
  'irish wolfhound',
  'leonberger',
  'bernese mountain dog',
  'great pyrenees',
];

export const normaliseBreed = (breed: string): string => breed.trim().toLowerCase().replace(/\s+/g, ' ');

export function seniorAge(pet: Pick<Pet, 'species' | 'breed'>): number {
  if (pet.species === 'cat') return 10;
  return GIANT_BREEDS.includes(normaliseBreed(pet.breed)) ? 6 : 7;
}

export function stageAt(pet: Pick<Pet, 'species' | 'breed' | 'birthDate'>, date: Date): Stage {
  const age = ageInYears(pet.birthDate, date);
  if (age < 1) return pet.species === 'cat' ? 'kitten' : 'puppy';
  return age < seniorAge(pet) ? 'adult' : 'senior';
}

export interface Milestone {
  /** Stable id: sent once per pet, even when a corrected birth date moves it. */
  id: string;
  /** The day it is due (YYYY-MM-DD); sent at the local morning hour. */
  date: string;
  stage: Stage;
  topic: string;
}

export const OLDEST_AGE = 20;
export const MORNING = '09:00';

function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

const noon = (date: string) => new Date(`${date}T12:00:00Z`);

/** Every milestone of the pet's life, in date order. */
export function milestones(pet: Pet): Milestone[] {
  const at = (id: string, date: string, topic = id): Milestone => ({ id, date, topic, stage: stageAt(pet, noon(date)) });
  const list: Milestone[] = [];
  if (pet.species === 'dog') list.push(at('kindergarten', addDays(pet.birthDate, 70)));
  list.push(at('insurance', addDays(pet.birthDate, 120)));
  list.push(at('food', addDays(pet.birthDate, 335))); // move to adult food around the first birthday
  list.push(at('dental', addDays(addYears(pet.birthDate, 3), 30))); // a month after the birthday, not on it
  list.push(at('checkup', addDays(addYears(pet.birthDate, seniorAge(pet)), 14)));
  for (let age = 1; age <= OLDEST_AGE; age++) list.push(at(`birthday-${age}`, addYears(pet.birthDate, age), 'birthday'));
  return list.sort((a, b) => a.date.localeCompare(b.date));
}

/** The next milestone not yet sent whose local-morning send time is after `now`, with that time. */
export function nextMilestone(pet: Pet, now: Date, sent: ReadonlySet<string>, tz: string): (Milestone & { wake: Date }) | null {
  for (const m of milestones(pet)) {
    if (sent.has(m.id)) continue;
    const wake = resolveWakeTime(m.date, { localTime: MORNING }, tz);
    if (wake.getTime() >= now.getTime()) return { ...m, wake };
  }
  return null;
}
