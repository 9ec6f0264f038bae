// The journey registry: what the engine routes by must be unambiguous.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getJourney, journeys } from '../../journeys';

test('journey names are unique, so routing and workflow IDs are unambiguous', () => {
  const names = journeys.map((j) => j.name);
  expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  for (const j of journeys) expect(getJourney(j.name)).toBe(j);
});

test('every shipped journey has a scenario for simulate and for recording replay histories', () => {
  const missing = journeys.filter((j) => !existsSync(join(__dirname, '..', '..', 'journeys', 'scenarios', `${j.name}.json`))).map((j) => j.name);
  expect(missing).toEqual([]);
});
