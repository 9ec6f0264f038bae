// Versioning guard: every saved history of every shipped journey (test/histories, recorded by
// `npm run record-histories`) must replay against today's code. A change to a live journey that is not
// behind `j.patched(...)` fails here — the second block proves it with an edited copy of a journey.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { journeys } from '../../journeys';
import { bundleReplacing, sharedBundle } from '../helpers/engine';
import { loadHistories } from '../../harness/histories';

const saved = loadHistories();

async function replay(bundle: WorkflowBundleWithSourceMap, h: (typeof saved)[number]): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle: bundle, replayName: h.file }, h.history, h.workflowId);
}

/** The engine's bundle with journeys/welcome.ts swapped for an edited copy. */
const bundleWithWelcome = (fixture: string) => bundleReplacing('journeys', './welcome', join(__dirname, '..', 'fixtures', 'journeys', fixture));

/** The scenarios (journeys/scenarios/<name>.json) that send a journey's trigger: what record-histories takes. */
function scenariosStarting(event: string): string[] {
  const dir = join(__dirname, '..', '..', 'journeys', 'scenarios');
  return readdirSync(dir)
    .filter(
      (f) =>
        f.endsWith('.json') && (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { events: Array<{ name: string }> }).events.some((e) => e.name === event),
    )
    .map((f) => f.slice(0, -'.json'.length));
}

test('every shipped journey, at its current version, has saved histories to replay', () => {
  const missing = journeys
    .filter((j) => !saved.some((h) => h.journey === j.name && h.version === j.version))
    .map((j) => {
      const scenarios = scenariosStarting(j.trigger.event);
      return scenarios.length
        ? `${j.name} v${j.version} has no recorded histories: run \`npm run record-histories -- ${scenarios.join(' ')}\` and commit test/histories/`
        : `${j.name} v${j.version} has no recorded histories and no scenario: create journeys/scenarios/${j.name}.json (see test/unit/registry.test.ts), then run \`npm run record-histories -- ${j.name}\``;
    });
  expect(missing).toEqual([]);
  expect(saved.some((h) => h.workflowType === 'customerWorkflow')).toBe(true);
});

describe("saved histories replay against today's code", () => {
  test.each(saved.map((h) => [h.file.slice(h.file.indexOf('test/histories')), h] as const))('%s', async (_name, h) => {
    await replay(await sharedBundle(), h);
  });
});

describe('a journey change without a patch is caught', () => {
  const welcome = saved.filter((h) => h.journey === 'welcome');

  test('an unpatched edit of the welcome journey fails replay with a non-determinism error', async () => {
    const bundle = await bundleWithWelcome('welcome.unpatched.ts');
    expect(welcome.length).toBeGreaterThan(0);
    for (const h of welcome) {
      await expect(replay(bundle, h)).rejects.toThrow(/[Nn]ondeterminism/);
    }
  });

  test('the same edit behind j.patched() replays cleanly', async () => {
    const bundle = await bundleWithWelcome('welcome.patched.ts');
    for (const h of welcome) await replay(bundle, h);
  });
});

test('adding a journey on an event live customers already send does not break their replay', async () => {
  const bundle = await bundleReplacing('workflows', '../journeys', join(__dirname, '..', 'fixtures', 'journeys', 'withNewJourney.ts'));
  const customers = saved.filter((h) => h.workflowType === 'customerWorkflow' && h.scenario === 'welcome');
  expect(customers.length).toBeGreaterThan(0);
  for (const h of customers) await replay(bundle, h);
});
