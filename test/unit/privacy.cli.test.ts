// `omnijourney export|erase`: help, and exit code 2 for bad arguments, before anything connects to Temporal.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';

// Nothing here may reach a server or create a key file; if it tried, it would do so in a throwaway folder.
const saved = { dir: process.env.OMNIJOURNEY_DATA_DIR, port: process.env.TEMPORAL_PORT };
const dir = mkdtempSync(join(tmpdir(), 'omnijourney-cli-'));
beforeAll(() => {
  process.env.OMNIJOURNEY_DATA_DIR = dir;
  process.env.TEMPORAL_PORT = '1';
});
afterAll(() => {
  for (const [k, v] of [
    ['OMNIJOURNEY_DATA_DIR', saved.dir],
    ['TEMPORAL_PORT', saved.port],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  const log = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += `${a.join(' ')}\n`));
  try {
    return { code: await main(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    log.mockRestore();
  }
}

test('--help on export and erase exits 0 and says what they do', async () => {
  const exp = await cli('export', '--help');
  expect(exp.code).toBe(0);
  expect(exp.out).toMatch(/Usage: omnijourney export \[options\] <customerId>[\s\S]*profile, consent/);
  const erase = await cli('erase', '--help');
  expect(erase.code).toBe(0);
  expect(erase.out).toMatch(/--yes/);
  expect(erase.out).toContain('A later event for the same customer ID starts a fresh, empty customer.');
  expect((await cli('--help')).out).toMatch(/export[\s\S]*erase/);
});

test('bad arguments exit with code 2', async () => {
  expect(await cli('export')).toMatchObject({ code: 2, err: expect.stringContaining("missing required argument 'customerId'") });
  expect(await cli('erase')).toMatchObject({ code: 2, err: expect.stringContaining("missing required argument 'customerId'") });
  expect((await cli('erase', 'ada', '--force')).code).toBe(2);
  expect(await cli('erase', '', '--yes')).toMatchObject({ code: 2, err: expect.stringContaining('customer ID') });
  expect(await cli('export', 'x'.repeat(201))).toMatchObject({ code: 2, err: expect.stringContaining('customer ID') });
  expect((await cli('profile')).code).toBe(2); // every command, not only the new ones
});

test('erase without --yes and without a terminal refuses, exit code 2, before connecting', async () => {
  const tty = process.stdin.isTTY;
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
  try {
    expect(await cli('erase', 'ada')).toMatchObject({ code: 2, err: expect.stringContaining('add --yes to confirm') });
  } finally {
    Object.defineProperty(process.stdin, 'isTTY', { value: tty, configurable: true });
  }
});
