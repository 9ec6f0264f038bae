// The journey registry: what the engine routes by must be unambiguous.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getJourney, journeys } from '../../journeys';

test('journey names are unique, so routing and workflow IDs are unambiguous', () => {
  const names = journeys.map((j) => j.name);
  expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  for (const j of journeys) expect(getJourney(j.name)).toBe(j);
});

test('every shipped journey is exercised by a scenario (for simulate and for recording replay histories)', () => {
  const dir = join(__dirname, '..', '..', 'journeys', 'scenarios');
  const triggered = new Set(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { events: Array<{ name: string }> }).events.map((e) => e.name)),
  );
  // What to do, for each journey without one: the replay test needs histories recorded from a scenario.
  const missing = journeys
    .filter((j) => !triggered.has(j.trigger.event))
    .map(
      (j) =>
        `${j.name}: no scenario in journeys/scenarios/ sends its trigger "${j.trigger.event}". Create journeys/scenarios/${j.name}.json ` +
        `(a customer and their events, format in simulate/scenario.ts; \`npx omnijourney new <name>\` writes one for a new journey), ` +
        `check it with \`npx omnijourney simulate --scenario journeys/scenarios/${j.name}.json\`, then \`npm run record-histories -- ${j.name}\``,
    );
  expect(missing).toEqual([]);
});
