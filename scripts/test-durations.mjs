// `npm run test:durations`: runs the whole suite once and writes test/durations.json, the seconds each test
// file took, which test/sequencer.js uses to start the slowest files first on a fresh clone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const out = join(mkdtempSync(join(tmpdir(), 'omnijourney-durations-')), 'jest.json');
const jest = spawnSync(join(root, 'node_modules', '.bin', 'jest'), ['--ci', '--json', `--outputFile=${out}`], { cwd: root, stdio: 'inherit' });
if (jest.status !== 0) {
  process.stderr.write('the suite failed: test/durations.json is left as it was\n');
  process.exit(jest.status ?? 1);
}
const { testResults } = JSON.parse(readFileSync(out, 'utf8'));
const seconds = Object.fromEntries(
  testResults.map((r) => [relative(root, r.name), Math.round((r.endTime - r.startTime) / 100) / 10]).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
);
writeFileSync(join(root, 'test', 'durations.json'), `${JSON.stringify(seconds, null, 2)}\n`);
process.stderr.write(`test/durations.json: ${testResults.length} files\n`);
