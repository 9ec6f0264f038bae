// worker/sharedZod.cjs's loader: zod's `lastIndex` resets run only for a pattern whose `test` reads
// lastIndex (g or y), so a frozen, shared zod pattern works; a zod that writes lastIndex any other way is
// refused when the bundle is built, naming the file, instead of failing inside a customer's workflow. (zod's
// modules are ESM, so strict: the unguarded reset throws on a frozen pattern, as the last line shows.)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const guard = require('../../worker/sharedZod.cjs') as (this: { resourcePath?: string } | undefined, source: string) => string;
const zodCore = join(dirname(require.resolve('zod/package.json')), 'v4', 'core');

test("every reset in zod's own files is guarded, and the guarded code still resets a g pattern and leaves a frozen one alone", () => {
  let resets = 0;
  for (const file of readdirSync(zodCore).filter((f) => f.endsWith('.js'))) {
    const source = readFileSync(join(zodCore, file), 'utf8');
    const out = guard.call({ resourcePath: file }, source);
    resets += (source.match(/\.lastIndex = 0;/g) ?? []).length;
    expect(out.match(/\.lastIndex = 0;/g) ?? []).toEqual([]);
  }
  expect(resets).toBeGreaterThan(0);

  const reset = new Function('pattern', `'use strict'; ${guard.call(undefined, 'pattern.lastIndex = 0; return pattern.test("ab");')}`) as (
    p: RegExp,
  ) => boolean;
  const global = /b/g;
  global.lastIndex = 5;
  expect(reset(global)).toBe(true);
  expect(reset(Object.freeze(/^a/))).toBe(true);
  expect(() => new Function('pattern', "'use strict'; pattern.lastIndex = 0;")(Object.freeze(/^a/))).toThrow(/read only/);
});

test('a zod that writes lastIndex in another way is refused, naming the file and what to do', () => {
  for (const source of ['re.lastIndex += 1;', 're.lastIndex = 2;', 're.lastIndex=0;']) {
    expect(() => guard.call({ resourcePath: '/x/node_modules/zod/v4/core/new.js' }, source)).toThrow(
      /new\.js writes RegExp lastIndex in a way worker\/sharedZod\.cjs does not know .*extend the loader/,
    );
  }
  expect(guard.call(undefined, 'if (re.lastIndex === 0 || re.lastIndex >= 2) x();')).toBe('if (re.lastIndex === 0 || re.lastIndex >= 2) x();');
});
