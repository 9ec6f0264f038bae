// The docs are kept true where they repeat the code: docs/journeys.md has one section per registered journey
// (the one-line list itself comes from each definition's `description`, via `omnijourney journeys --offline`),
// and the README links every page in docs/.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { journeys } from '../../journeys';

const root = join(__dirname, '..', '..');

test('docs/journeys.md has a section for each registered journey, and none for a journey that is not registered', () => {
  const text = readFileSync(join(root, 'docs', 'journeys.md'), 'utf8');
  const sections = [...text.matchAll(/^## (\S+)\s*$/gm)].map((m) => m[1]).sort();
  expect(sections).toEqual(journeys.map((j) => j.name).sort());
});

test('every registered journey has a one-line description, which `omnijourney journeys` prints', () => {
  expect(journeys.filter((j) => !j.description?.trim() || j.description.includes('\n')).map((j) => j.name)).toEqual([]);
});

test('the README links every page in docs/', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const pages = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));
  expect(pages.filter((page) => !readme.includes(`(docs/${page})`))).toEqual([]);
});
