// `omnijourney new <name>` refuses what it cannot scaffold and writes nothing then; it registers the journey
// in journeys/index.ts; and `simulate` refuses a scenario that can start nothing, naming the registry. What
// the scaffold builds is proven in a copy of the project: test/integration/newJourney.timeskipping.test.ts.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import { refusal, register, scaffoldJourney } from '../../cli/newJourney';

const root = join(__dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'omnijourney-new-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A project with this repository's registry and docs/journeys.md and one journey, `taken`. */
function project(): string {
  const dir = mkdtempSync(join(scratch, 'p-'));
  mkdirSync(join(dir, 'journeys', 'scenarios'), { recursive: true });
  mkdirSync(join(dir, 'docs'));
  cpSync(join(root, 'journeys', 'index.ts'), join(dir, 'journeys', 'index.ts'));
  cpSync(join(root, 'docs', 'journeys.md'), join(dir, 'docs', 'journeys.md'));
  writeFileSync(join(dir, 'journeys', 'taken.ts'), "export default defineJourney({\n  name: 'taken',\n});\n");
  return dir;
}

/** Every file under dir with its text, to show a refusal changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[join(entry.parentPath, entry.name)] = readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`));
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += `${a.join(' ')}\n`));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  try {
    return { code: await main(argv), out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
}

describe('omnijourney new refuses, says why, and writes nothing', () => {
  test.each([
    ['Win-Back', /is not a journey name: use lower-case letters, digits and single dashes, starting with a letter/],
    ['win_back', /is not a journey name/],
    ['1st-touch', /is not a journey name/],
    ['win--back', /is not a journey name/],
    ['win-back-', /is not a journey name/],
    ['taken', /a journey named "taken" already exists \(journeys\/taken\.ts\); pick another name/],
  ])('%s', async (name, why) => {
    const dir = project();
    const before = snapshot(dir);
    const r = await cli('new', name, '--dir', dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(why);
    expect(r.out).toBe('');
    expect(snapshot(dir)).toEqual(before);
  });

  test('a file it would overwrite is named', () => {
    const dir = project();
    mkdirSync(join(dir, 'templates', 'trial-nudge'), { recursive: true });
    writeFileSync(join(dir, 'journeys', 'scenarios', 'trial-nudge.json'), '{}');
    expect(refusal(dir, 'trial-nudge')).toBe(
      '"trial-nudge" would overwrite journeys/scenarios/trial-nudge.json, templates/trial-nudge; pick another name or move them away',
    );
  });

  test('a folder that is not a project', () => {
    expect(refusal(scratch, 'trial-nudge')).toMatch(/^no journeys\/index\.ts in .*: run it in an omnijourney project \(or pass --dir <project>\)$/);
  });
});

test('new writes the journey, its templates, test and scenario, registers it and prints what is left, in order', async () => {
  const dir = project();
  const r = await cli('new', 'trial-nudge', '--dir', dir);
  expect(r).toMatchObject({ code: 0, err: '' });
  for (const f of [
    'journeys/trialNudge.ts',
    'journeys/trialNudge.test.ts',
    'journeys/scenarios/trial-nudge.json',
    'templates/trial-nudge/hello.email.liquid',
    'templates/trial-nudge/reminder.email.liquid',
  ]) {
    expect(existsSync(join(dir, f))).toBe(true);
    expect(r.out).toContain(`  ${f}\n`);
  }
  const registry = readFileSync(join(dir, 'journeys', 'index.ts'), 'utf8');
  expect(registry).toBe(register(readFileSync(join(root, 'journeys', 'index.ts'), 'utf8'), 'trialNudge', './trialNudge'));
  expect(registry).toMatch(/\nimport trialNudge from '\.\/trialNudge';\n\nexport const journeys/);
  expect(registry).toMatch(/\n {2}trialNudge,\n\] as unknown as AnyJourney\[\];/);
  expect(readFileSync(join(dir, 'docs', 'journeys.md'), 'utf8')).toMatch(/\n\n## trial-nudge\n\n`journeys\/trialNudge\.ts`\. Trigger `trial-nudge\.started`/);
  const steps = r.out.slice(r.out.indexOf('next:'));
  const order = [
    'npx jest --selectProjects unit --runTestsByPath journeys/trialNudge.test.ts',
    'npx omnijourney preview trial-nudge/hello',
    'npx omnijourney simulate --scenario journeys/scenarios/trial-nudge.json',
    'npm run record-histories -- trial-nudge',
    'npm test',
    'npx omnijourney event ada trial-nudge.started',
  ];
  expect(order.map((s) => steps.indexOf(s))).toEqual(order.map((s) => steps.indexOf(s)).sort((a, b) => a - b));
  expect(order.every((s) => steps.includes(s))).toBe(true);
  // A second time, it refuses: the name is taken now.
  expect((await cli('new', 'trial-nudge', '--dir', dir)).err).toMatch(/a journey named "trial-nudge" already exists \(journeys\/trialNudge\.ts\)/);
});

test('a name that is a reserved word gets an identifier that is not', () => {
  const dir = project();
  expect(scaffoldJourney(dir, 'new').created[0]).toBe('journeys/new.ts');
  expect(readFileSync(join(dir, 'journeys', 'index.ts'), 'utf8')).toMatch(/import newJourney from '\.\/new';[\s\S]*\n {2}newJourney,\n\]/);
  expect(readFileSync(join(dir, 'journeys', 'new.test.ts'), 'utf8')).toContain("import newJourney from './new';");
});

test('register adds the import after the last journey import and the entry at the end of the array', () => {
  const registry = "import type { AnyJourney } from '../sdk/journey';\nimport a from './a';\n\nexport const journeys: AnyJourney[] = [\n  a,\n];\n";
  expect(register(registry, 'bB', './bB')).toBe(
    "import type { AnyJourney } from '../sdk/journey';\nimport a from './a';\nimport bB from './bB';\n\nexport const journeys: AnyJourney[] = [\n  a,\n  bB,\n];\n",
  );
});

describe('simulate refuses a scenario that can start nothing, naming the registry (it printed an empty timeline, exit 0)', () => {
  const scenario = (events: Array<{ at: string; name: string }>) => {
    const file = join(scratch, `scenario-${events.map((e) => e.name).join('-') || 'none'}.json`);
    writeFileSync(file, JSON.stringify({ start: '2026-01-05T09:00:00Z', customer: { id: 'zed' }, events, until: '2d' }));
    return file;
  };

  test('--journey with a journey that is not registered', async () => {
    const r = await cli('simulate', '--scenario', join(root, 'journeys', 'scenarios', 'welcome.json'), '--journey', 'trial-nudge');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /journey "trial-nudge" is not registered in journeys\/index\.ts \(registered: welcome, abandoned-cart, .*\); add it to the array there/,
    );
    expect(r.out).toBe('');
  });

  test('no event of the scenario is a registered trigger: it names the events and the registry', async () => {
    const r = await cli('simulate', '--scenario', scenario([{ at: '0d', name: 'trial-nudge.started' }]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no journey registered in journeys\/index\.ts starts on any event of this scenario \(its events: trial-nudge\.started\)/);
    expect(r.err).toMatch(/Triggers: user\.signed_up \(welcome\), /);
    expect(r.out).toBe('');
  });

  test('--journey whose trigger the scenario never sends', async () => {
    const r = await cli('simulate', '--scenario', join(root, 'journeys', 'scenarios', 'welcome.json'), '--journey', 'abandoned-cart');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /no event of this scenario starts journey "abandoned-cart" \(its events: user\.signed_up, project\.created\)\. Triggers: checkout\.started \(abandoned-cart\)/,
    );
  });
});
