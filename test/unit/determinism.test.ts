// Workflow code is replayed from history, so workflows/, domain/, journeys/ and sdk/ must be deterministic
// (no Node built-ins or I/O, no wall clock, no randomness) and leave zod's shared settings alone. This test
// names the file and line that breaks it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const DETERMINISTIC = ['workflows', 'domain', 'journeys', 'sdk'];
const BUILTINS = [
  'fs',
  'path',
  'os',
  'crypto',
  'http',
  'https',
  'net',
  'child_process',
  'worker_threads',
  'dns',
  'tls',
  'stream',
  'zlib',
  'url',
  'util',
  'events',
  'timers',
  'process',
  'readline',
  'cluster',
  'dgram',
  'v8',
  'vm',
];
const IO_PACKAGES = ['nodemailer', 'twilio', 'liquidjs', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

const rules: Array<{ re: RegExp; why: string }> = [
  { re: /from\s+['"]node:[^'"]+['"]|require\(\s*['"]node:/, why: 'imports a Node built-in' },
  { re: new RegExp(`from\\s+['"](${BUILTINS.join('|')})(/[^'"]*)?['"]`), why: 'imports a Node built-in' },
  { re: new RegExp(`from\\s+['"](${IO_PACKAGES.map((p) => p.replace('/', '\\/')).join('|')})['"]`), why: 'imports an I/O package (put it in an activity)' },
  { re: /\bDate\.now\(\)|new Date\(\)/, why: 'reads the wall clock (use j.now() / workflow time)' },
  { re: /\bMath\.random\(/, why: 'uses randomness (use j.split or a hash of the customer)' },
  { re: /\bprocess\.env\b/, why: 'reads the environment (pass config in the workflow input)' },
  { re: /\bset(Timeout|Interval)\(/, why: 'uses a Node timer (use sleep)' },
  {
    re: /\bz\.(core\.)?(config|setErrorMap)\(|['"]zod\/compile['"]|import\s*\{[^}]*\bconfig\b[^}]*\}\s*from\s*['"]zod/,
    why: "changes zod's global settings, which every workflow of a worker shares, frozen (worker/sharedZod.cjs): give a schema its own message ({ error })",
  },
];

// Deliberate, reviewed exceptions: workflow time is deterministic inside the Temporal sandbox.
const allowed = [
  { file: 'workflows/customer.ts', re: /Date\.now\(\)/ },
  { file: 'workflows/journey.ts', re: /Date\.now\(\)/ },
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [p] : [];
  });
}

test('workflows/, domain/, journeys/ and sdk/ use no Node built-ins, I/O, wall clock or randomness', () => {
  const problems: string[] = [];
  for (const dir of DETERMINISTIC) {
    for (const file of files(join(root, dir))) {
      const rel = relative(root, file);
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\/\/|\/?\*)/.test(line)) return;
          for (const rule of rules) {
            if (!rule.re.test(line)) continue;
            if (allowed.some((a) => a.file === rel && a.re.test(line))) continue;
            problems.push(`${rel}:${i + 1} ${rule.why}: ${line.trim()}`);
          }
        });
    }
  }
  expect(problems).toEqual([]);
});

test('the check catches a forbidden line (it is not vacuous)', () => {
  const sample = "import { readFile } from 'node:fs'; const t = Date.now(); Math.random(); z.config(z.locales.de());";
  const more = ['z.setErrorMap(m);', "import 'zod/compile';", "import { config, z } from 'zod';", 'z.core.config({});'];
  expect(rules.filter((r) => r.re.test(sample)).map((r) => r.why)).toEqual([
    'imports a Node built-in',
    'reads the wall clock (use j.now() / workflow time)',
    'uses randomness (use j.split or a hash of the customer)',
    expect.stringContaining("changes zod's global settings"),
  ]);
  for (const line of more) expect(rules.filter((r) => r.re.test(line)).map((r) => r.why)).toEqual([expect.stringContaining("changes zod's global settings")]);
});
