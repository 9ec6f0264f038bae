// `npm run test:repeat -- <pattern> [runs] [more jest args]`: runs the test files matching <pattern> (a
// path regex, as `npx jest <pattern>` takes it) that many times in a row (default 20), each run a fresh Jest
// process, and prints one line per run and a total. A suite that kills or restarts processes is trusted
// only once it passes this 20 times in a row. The log of every failed run is kept under
// .data/test-repeat/ so a rare failure can be read after the fact.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../toolchain/tools.mjs';

const [pattern, runsArg, ...jestArgs] = process.argv.slice(2);
if (!pattern) {
  process.stderr.write(
    'usage: npm run test:repeat -- <test path pattern> [runs, default 20] [extra jest arguments]\n' + 'e.g.   npm run test:repeat -- faults.devserver 20\n',
  );
  process.exit(2);
}
const runs = runsArg === undefined ? 20 : Number(runsArg);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`runs must be a whole number of at least 1, got "${runsArg}"\n`);
  process.exit(2);
}

const logDir = join(repoRoot, '.data', 'test-repeat');
mkdirSync(logDir, { recursive: true });
const jest = join(repoRoot, 'node_modules', '.bin', 'jest');

function once() {
  return new Promise((resolve) => {
    const started = Date.now();
    let out = '';
    const child = spawn(jest, ['--ci', '--testPathPatterns', pattern, ...jestArgs], { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let stopped = false;
    const stop = () => {
      stopped = true;
      child.kill('SIGINT');
    };
    process.once('SIGINT', stop);
    child.on('close', (code) => {
      process.off('SIGINT', stop);
      const tests = /Tests:\s+(.*)/.exec(out)?.[1] ?? 'no summary';
      resolve({ code: code ?? 1, seconds: (Date.now() - started) / 1000, out, tests, stopped });
    });
  });
}

let passed = 0;
let failed = 0;
const times = [];
for (let i = 1; i <= runs; i++) {
  const r = await once();
  times.push(r.seconds);
  if (r.code === 0) passed++;
  else {
    failed++;
    const log = join(logDir, `${pattern.replace(/[^\w.-]+/g, '_')}-run${i}-${Date.now()}.log`);
    writeFileSync(log, r.out);
    process.stdout.write(`  log of the failed run: ${log}\n`);
  }
  process.stdout.write(`run ${i}/${runs}: ${r.code === 0 ? 'pass' : 'FAIL'} in ${r.seconds.toFixed(1)} s (${r.tests})\n`);
  // What the fault tests measured in this run (docs/reliability.md quotes these lines).
  for (const line of r.out.split('\n').filter((l) => l.includes('[reliability]'))) process.stdout.write(`  ${line.trim()}\n`);
  if (r.stopped) break;
}
times.sort((a, b) => a - b);
process.stdout.write(
  `test:repeat ${pattern}: ${passed} of ${passed + failed} runs green; median ${times[Math.floor(times.length / 2)].toFixed(1)} s, slowest ${times[times.length - 1].toFixed(1)} s\n`,
);
process.exit(failed === 0 ? 0 : 1);
