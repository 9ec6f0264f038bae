// `omnijourney new <name>`: scaffolds a journey that compiles, passes its own unit test and simulates: the
// journey file, its templates, a unit test on testJourney, a scenario, its registration in journeys/index.ts
// and its section in docs/journeys.md (test/unit/docsJourneys.test.ts wants one per registered journey).
// Everything is checked before anything is written, so a refusal leaves the tree as it was.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** A name `new` refuses, with the reason a person can act on. */
export class ScaffoldError extends Error {}

/** The project this CLI belongs to, where `new` writes unless told otherwise. */
export const projectRoot = resolve(__dirname, '..');

export interface Scaffold {
  name: string;
  /** The project it was written to. */
  root: string;
  /** Files created, relative to the project. */
  created: string[];
  /** Files changed, relative to the project. */
  changed: string[];
  /** What is left to do, one command or action per step. */
  nextSteps: string[];
}

/** Stricter than defineJourney's rule (sdk/journey.ts): a letter first and single dashes, so the name also
 *  makes a file name and an identifier (`trial-ending` → `journeys/trialEnding.ts`, `import trialEnding`). */
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof let new null return static super switch this throw true try typeof var void while with yield await'.split(
    ' ',
  ),
);

const camel = (name: string): string => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (name: string): string => camel(name).replace(/^./, (c) => c.toUpperCase());

/** The files and identifiers of a journey named `name` (valid per NAME). */
function layout(name: string) {
  const file = camel(name);
  return {
    ident: RESERVED.has(file) ? `${file}Journey` : file,
    /** What journeys/index.ts and the test import. */
    module: `./${file}`,
    schema: `${pascal(name)}Started`,
    journey: `journeys/${file}.ts`,
    test: `journeys/${file}.test.ts`,
    scenario: `journeys/scenarios/${name}.json`,
    templates: `templates/${name}`,
    events: { trigger: `${name}.started`, reply: `${name}.replied`, goal: `${name}.converted` },
  };
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const p = join(dir, entry);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Why `name` cannot be scaffolded in `root`, or undefined. */
export function refusal(root: string, name: string): string | undefined {
  if (!NAME.test(name)) return `"${name}" is not a journey name: use lower-case letters, digits and single dashes, starting with a letter (e.g. trial-ending)`;
  const l = layout(name);
  const index = join(root, 'journeys', 'index.ts');
  if (!existsSync(index)) return `no journeys/index.ts in ${root}: run it in an omnijourney project (or pass --dir <project>)`;
  const taken = sourceFiles(join(root, 'journeys')).find((f) => new RegExp(`\\bname:\\s*['"]${name}['"]`).test(readFileSync(f, 'utf8')));
  if (taken) return `a journey named "${name}" already exists (${relative(root, taken)}); pick another name`;
  const existing = [l.journey, l.journey.replace(/\.ts$/, ''), l.test, l.scenario, l.templates].filter((p) => existsSync(join(root, p)));
  if (existing.length) return `"${name}" would overwrite ${existing.join(', ')}; pick another name or move them away`;
  const registry = readFileSync(index, 'utf8');
  if (new RegExp(`\\bimport\\s+${l.ident}\\b`).test(registry)) return `journeys/index.ts already imports a "${l.ident}"; pick another name`;
  if (!/export const journeys[^=]*=\s*\[[^\]]*\n\]/.test(registry))
    return 'journeys/index.ts has no `export const journeys = [ … ]` array with its closing bracket on a line of its own; register journeys there first';
  return undefined;
}

/** Writes the journey and registers it; throws ScaffoldError (having written nothing) when it cannot. */
export function scaffoldJourney(dir: string, name: string): Scaffold {
  const root = resolve(dir);
  const why = refusal(root, name);
  if (why) throw new ScaffoldError(why);
  const l = layout(name);
  const files: Array<[string, string]> = [
    [l.journey, journeySource(name)],
    [
      `${l.templates}/hello.email.liquid`,
      template('Hello, {{ traits.firstName | default: "there" }}!', '<p>Your <strong>{{ data.plan }}</strong> plan is ready.</p>'),
    ],
    [`${l.templates}/reminder.email.liquid`, template('Still there?', '<p>Hi {{ traits.firstName | default: "there" }}, we have not heard from you yet.</p>')],
    [l.test, testSource(name)],
    [l.scenario, scenarioSource(name)],
  ];
  for (const [path, text] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text, { flag: 'wx' });
  }
  const changed = ['journeys/index.ts'];
  writeFileSync(join(root, 'journeys', 'index.ts'), register(readFileSync(join(root, 'journeys', 'index.ts'), 'utf8'), l.ident, l.module));
  const docs = join(root, 'docs', 'journeys.md');
  if (existsSync(docs)) {
    writeFileSync(docs, `${readFileSync(docs, 'utf8').trimEnd()}\n\n${docsSection(name)}`);
    changed.push('docs/journeys.md');
  }
  return { name, root, created: files.map(([p]) => p), changed, nextSteps: nextSteps(name) };
}

/** journeys/index.ts with `ident` imported from `module` after the last journey import, and added at the end
 *  of the array. */
export function register(registry: string, ident: string, module: string): string {
  const lines = registry.split('\n');
  const lastImport = lines.reduce((at, line, i) => (/^import \w+ from '\.\//.test(line) ? i : at), -1);
  lines.splice(lastImport + 1, 0, `import ${ident} from '${module}';`);
  const start = lines.findIndex((line) => line.startsWith('export const journeys'));
  const close = lines.findIndex((line, i) => i > start && line.startsWith(']'));
  lines.splice(close, 0, `  ${ident},`);
  return lines.join('\n');
}

export function nextSteps(name: string): string[] {
  const l = layout(name);
  return [
    `Make it yours: the events (${l.events.trigger}, ${l.events.reply}, ${l.events.goal}), the schema, the sends and waits (every event a j.waitFor names) in ${l.journey}, the mails in ${l.templates}/, what it does in docs/journeys.md; keep ${l.test} and ${l.scenario} in step.`,
    `Run its unit test: npx jest --selectProjects unit --runTestsByPath ${l.test}`,
    `Preview a mail: npx omnijourney preview ${name}/hello --data '{"traits":{"firstName":"Ada"},"data":{"plan":"pro"}}'`,
    `Simulate it on the real engine: npx omnijourney simulate --scenario ${l.scenario}`,
    `Record its histories before the first deploy (test/integration/replay.test.ts fails without them): npm run record-histories -- ${name}`,
    'Run every check: npm test',
    `Run it live: restart npm start (the worker loads journeys when it starts), then npx omnijourney event ada ${l.events.trigger} --properties '{"plan":"pro"}'`,
  ];
}

function journeySource(name: string): string {
  const l = layout(name);
  return `// ${name}: a first mail, and a reminder when the customer has not replied within 3 days. Scaffolded by
// \`omnijourney new ${name}\`: rename the events to yours and say what it does here and in docs/journeys.md.
// Its unit test is ${l.test}, its scenario ${l.scenario}.
import { z } from 'zod';
import { defineJourney } from '../sdk/journey';

/** The trigger event's properties. An event that fails the schema starts nothing, and the customer's record
 *  names the field that failed. */
export const ${l.schema} = z.object({
  plan: z.enum(['free', 'pro', 'team']).default('free'),
});

export default defineJourney({
  name: '${name}',
  version: 1,
  description: 'A first mail, a reminder after 3 days without a reply',
  trigger: { event: '${l.events.trigger}', schema: ${l.schema} },
  reentry: 'one-at-a-time',
  exitOn: ['user.deleted'],
  goal: { event: '${l.events.goal}' },
  // Every event a j.waitFor below names: the engine forwards a run only these, its exitOn and goal events.
  waits: ['${l.events.reply}'],
  async run(j) {
    j.step('hello');
    await j.send('email', '${name}/hello', { plan: j.entry.properties.plan });

    j.step('wait-for-reply');
    const reply = await j.waitFor('${l.events.reply}', { within: '3 days' });
    if (!reply) {
      j.step('reminder');
      await j.send('email', '${name}/reminder');
    }
  },
});
`;
}

function template(subject: string, body: string): string {
  return `---
subject: ${subject}
---
<mjml>
  {% render 'head' %}
  <mj-body background-color="#f3f4f6">
    <mj-section>
      <mj-column>
        <mj-text>
          ${body}
        </mj-text>
      </mj-column>
    </mj-section>
    {% render 'footer', links: links %}
  </mj-body>
</mjml>
`;
}

/** What the generated test imports (a journey's test may; cli/ may not, and the layering test reads this file). */
const TESTKIT = '../testkit/testJourney';

function testSource(name: string): string {
  const l = layout(name);
  return `// ${name}'s decisions on the in-memory driver (testkit/testJourney.ts): the engine's verbs and delivery
// policy on a virtual clock, no server. Run it: npx jest --selectProjects unit --runTestsByPath ${l.test}
import { testJourney } from '${TESTKIT}';
import ${l.ident} from '${l.module}';

test('a customer who does not reply within 3 days gets the reminder', async () => {
  const r = await testJourney(${l.ident}, { entry: { plan: 'pro' } });
  expect(r.messages.map((m) => [m.at, m.template, m.status])).toEqual([
    ['2026-01-05T09:00:00.000Z', '${name}/hello', 'sent'],
    ['2026-01-08T09:00:00.000Z', '${name}/reminder', 'sent'],
  ]);
  expect(r.messages[0].data).toEqual({ plan: 'pro' });
  expect(r.outcome).toBe('completed');
});

test('a reply within 3 days skips the reminder', async () => {
  const r = await testJourney(${l.ident}, { entry: {}, events: [{ at: '1 day', name: '${l.events.reply}' }] });
  expect(r.sent).toEqual(['${name}/hello']);
  expect(r.messages[0].data).toEqual({ plan: 'free' }); // the schema's default
});

test('the goal converts and ends the run', async () => {
  const r = await testJourney(${l.ident}, { entry: {}, events: [{ at: '2 hours', name: '${l.events.goal}' }] });
  expect(r).toMatchObject({ outcome: 'converted', sent: ['${name}/hello'], endedAt: '2026-01-05T11:00:00.000Z' });
});

test('quiet hours (21:00-08:00 local) hold the first mail until 08:00', async () => {
  const r = await testJourney(${l.ident}, { entry: {}, start: '2026-01-05T23:00:00Z', timezone: 'Europe/London' });
  expect(r.messages[0]).toMatchObject({ status: 'sent', held: [{ reason: 'quiet-hours' }], decidedAt: '2026-01-06T08:00:00.000Z' });
});

test('an event that fails the schema starts nothing, naming the field', async () => {
  const r = await testJourney(${l.ident}, { entry: { plan: 'gold' as never } });
  expect(r.outcome).toBe('rejected');
  expect(r.reason).toMatch(/^properties\\.plan: /);
});
`;
}

function scenarioSource(name: string): string {
  const l = layout(name);
  const scenario = {
    start: '2026-01-05T09:00:00Z',
    customer: { id: 'ada', traits: { email: 'ada@example.com', firstName: 'Ada', timezone: 'Europe/London' } },
    events: [{ at: '0d', name: l.events.trigger, properties: { plan: 'pro' } }],
    until: '7d',
  };
  return `${JSON.stringify(scenario, null, 2)}\n`;
}

function docsSection(name: string): string {
  const l = layout(name);
  return `## ${name}

\`${l.journey}\`. Trigger \`${l.events.trigger}\` \`{plan: 'free'|'pro'|'team'}\` (default \`free\`), a new run
only after the previous one ended (\`one-at-a-time\`). \`${name}/hello\` at once; if no \`${l.events.reply}\`
arrives within 3 days, \`${name}/reminder\`. \`${l.events.goal}\` converts and ends it; \`user.deleted\` ends it.
`;
}
