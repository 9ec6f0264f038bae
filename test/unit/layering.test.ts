// The folders are layers, and an import may only point down. A newcomer reads the architecture from the
// folders (docs/architecture.md, "Layers"); this test keeps it true and names every import against it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { BUNDLE_INPUTS } from '../../worker/bundle';

const root = join(__dirname, '..', '..');

/**
 * Each folder and the folders it may import from (its own always). Bottom to top:
 * - sdk: what journey authors import (pure, deterministic);
 * - domain: the engine's rules and contracts that workflows, api, cli and privacy share (customer state,
 *   delivery policy, signals and queries, lookups, engine config, the deliver activity's contract);
 * - journeys: the shipped journey definitions;
 * - testkit: testJourney, which runs a journey's unit test on the engine's own verb code (domain/journeyContext.ts)
 *   over a virtual clock; imported by tests only;
 * - workflows: the two workflows, deterministic, run in the worker's sandbox;
 * - preferences: signed links and the preference choices, pure;
 * - privacy: payload encryption and its keys;
 * - activities: every side effect (channels, templates, the outbox journal);
 * - config: the environment parsed once;
 * - client: connecting to Temporal from outside a worker (connection, deadlines, sending events, export/erase);
 * - worker, api, simulate: the processes;
 * - toolchain: installs and finds the Temporal CLI, the test server, Chromium and schemathesis (plain Node);
 * - cli; harness (real servers and processes for tests, bench and soak); scripts, bench; test.
 */
// biome-ignore format: one line per layer reads as a table
export const LAYERS: Record<string, string[]> = {
  sdk: [],
  domain: ['sdk'],
  journeys: ['sdk'],
  testkit: ['sdk', 'domain'],
  workflows: ['sdk', 'domain', 'journeys'],
  preferences: ['sdk', 'domain'],
  privacy: [],
  activities: ['sdk', 'domain', 'preferences'],
  config: ['sdk', 'domain', 'privacy'],
  client: ['sdk', 'domain', 'privacy', 'config'],
  store: ['sdk', 'domain'],
  reporting: ['sdk', 'domain', 'store'],
  worker: ['sdk', 'domain', 'privacy', 'activities', 'config', 'client', 'store', 'workflows'],
  api: ['sdk', 'domain', 'preferences', 'privacy', 'config', 'client', 'store', 'reporting'],
  simulate: ['sdk', 'domain', 'journeys', 'activities', 'config', 'client', 'worker'],
  cli: ['toolchain', 'sdk', 'domain', 'journeys', 'preferences', 'privacy', 'config', 'client', 'store', 'reporting', 'worker', 'simulate'],
  toolchain: [],
  harness: ['toolchain', 'sdk', 'domain', 'journeys', 'preferences', 'privacy', 'activities', 'config', 'client', 'store', 'reporting', 'worker', 'api'],
  scripts: ['toolchain', 'sdk', 'domain', 'journeys', 'preferences', 'privacy', 'activities', 'config', 'client', 'store', 'reporting', 'worker', 'api', 'simulate', 'harness'],
  bench: ['toolchain', 'sdk', 'domain', 'journeys', 'preferences', 'privacy', 'activities', 'config', 'client', 'store', 'reporting', 'worker', 'api', 'simulate', 'harness'],
  bin: ['cli'],
};

/** Files outside the layers that import nothing of the project's (or are config). */
const IGNORED_TOP = new Set(['node_modules', 'test', 'vendor', 'docs', 'templates', 'coverage', '.git', '.data', '.ci']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(p);
    return /\.(ts|mts|mjs|js)$/.test(name) && !/\.test\.ts$/.test(name) && !/\.d\.m?ts$/.test(name) ? [p] : [];
  });
}

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/;

/** Every import of one file that crosses the layering: "file:line imports target (a folder may only import …)". */
export function violations(file: string, text: string): string[] {
  const rel = relative(root, file);
  const from = rel.split('/')[0];
  const allowed = LAYERS[from];
  if (!allowed) return [`${rel}: folder "${from}" is not a layer; add it to LAYERS in test/unit/layering.test.ts (and to docs/architecture.md)`];
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (/^\s*(\/\/|\*)/.test(line)) return;
    const m = IMPORT.exec(line);
    if (!m) return;
    const target = relative(root, resolve(dirname(file), m[1])).split('/')[0];
    if (target === from || target.startsWith('..') || allowed.includes(target) || !(target in LAYERS || target === 'test')) return;
    out.push(
      `${rel}:${i + 1} imports ${m[1]} (${target}/), but ${from}/ may only import ${allowed.length ? allowed.map((a) => `${a}/`).join(', ') : 'nothing of the project'}`,
    );
  });
  return out;
}

test('every import points down the layers', () => {
  const tops = readdirSync(root).filter((n) => !n.startsWith('.') && !IGNORED_TOP.has(n) && statSync(join(root, n)).isDirectory());
  const problems = tops.flatMap((top) => sourceFiles(join(root, top)).flatMap((f) => violations(f, readFileSync(f, 'utf8'))));
  expect(problems).toEqual([]);
});

test('the check catches a wrong import (it is not vacuous)', () => {
  expect(violations(join(root, 'api', 'server.ts'), "import { createOutbox } from '../activities/outbox';")).toEqual([
    'api/server.ts:1 imports ../activities/outbox (activities/), but api/ may only import sdk/, domain/, preferences/, privacy/, config/, client/, store/, reporting/',
  ]);
  expect(violations(join(root, 'workflows', 'customer.ts'), "const x = 1;\nimport type { Config } from '../config/config';")).toHaveLength(1);
  expect(violations(join(root, 'scripts', 'soak.ts'), "import { bundleWithFaultJourneys } from '../test/helpers/faults';")).toHaveLength(1);
  expect(violations(join(root, 'sdk', 'journey.ts'), "import { z } from 'zod';")).toEqual([]);
});

test('tsc checks every layer that holds TypeScript (a folder left out of tsconfig.json is only checked where something imports it)', () => {
  const { include } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { include: string[] };
  const withTs = Object.keys(LAYERS).filter((layer) => sourceFiles(join(root, layer)).some((f) => f.endsWith('.ts')));
  expect(withTs.filter((layer) => !include.includes(layer))).toEqual([]);
});

test('the workflow bundle cache hashes every folder the bundle can include (worker/bundle.ts BUNDLE_INPUTS)', () => {
  // A folder the workflows may import but the hash leaves out would let a test run use a stale bundle.
  const reachable = new Set<string>(['workflows']);
  for (let grew = true; grew; ) {
    grew = false;
    for (const layer of [...reachable]) for (const dep of LAYERS[layer]) if (!reachable.has(dep)) grew = Boolean(reachable.add(dep));
  }
  expect([...BUNDLE_INPUTS].sort()).toEqual([...reachable].sort());
});
