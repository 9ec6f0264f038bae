// One copy of zod for every workflow in the worker instead of one per workflow (docs/benchmarks.md, "Tuning").
//
// The SDK gives each workflow instance its own copy of every module in the bundle, except the modules named
// in `preloadModules`: those are evaluated once, before any workflow, shared by all of them and deep-frozen.
// zod was 600-700 KB of the ~940 KB and about 10 of the 14 ms that each workflow taken into the cache spent on
// its module copies. zod keeps no state that one workflow could see from another (its registry and parse
// memoizer are keyed by schema objects, which stay per workflow; `.meta({ id })` ids share one map, see
// docs/authoring.md; a recursive schema whose transform throws mid-parse leaves its partial entries on the
// memoizer's module-level stack, now for the worker's life instead of the workflow's), but it resets `lastIndex` on its built-in format patterns
// (`z.email()`, `.url()`, …) before each test, and on a frozen RegExp that assignment throws. The loader
// below rewrites those resets to run only for a `g` or `y` pattern, the only kind whose `test` reads
// `lastIndex` (zod's own patterns have neither flag; a journey's own pattern is per workflow, unfrozen).
//
// Plain CommonJS: webpack loads loaders with require(), also in the thread that worker/bundle.ts bundles in.

const { join } = require('node:path');

/** Imports zod as the journeys do (its ESM build: a `require('zod')` would preload the CommonJS one, another
 *  copy), which puts it in the shared modules, and sets its lazy defaults before the freeze (see the file). */
const WARMUP = join(__dirname, 'zodWarmup.mjs');
const ZOD_FILES = /[\\/]node_modules[\\/]zod[\\/].*\.js$/;
const RESET = /([\w$.{}]+)\.lastIndex = 0;/g;
const ANY_WRITE = /\.lastIndex\s*(?:[-+*/%&|^]|\*\*|<<|>>>?|&&|\|\||\?\?)?=(?!=)/g;

/** The webpack loader: guards every `<pattern>.lastIndex = 0;` of a zod file (also inside the code zod
 *  generates as text), and refuses a zod whose files write `lastIndex` in any other way. */
function guardLastIndexResets(source) {
  let guarded = 0;
  const out = source.replace(RESET, (_, pattern) => {
    guarded++;
    return `(${pattern}.global || ${pattern}.sticky) && (${pattern}.lastIndex = 0);`;
  });
  const writes = (out.match(ANY_WRITE) ?? []).length;
  if (writes !== guarded) {
    throw new Error(
      `${this?.resourcePath ?? 'a zod file'} writes RegExp lastIndex in a way worker/sharedZod.cjs does not know (${writes} writes, ${guarded} guarded). ` +
        'zod is shared by every workflow and frozen there: extend the loader for the new form, or remove zod from preloadModules in worker/sharedZod.cjs.',
    );
  }
  return out;
}

/** The bundle options that share zod, composed with a caller's own webpack hook (run after ours). */
function withSharedZod(options = {}) {
  const hook = options.webpackConfigHook ?? ((config) => config);
  return {
    ...options,
    preloadModules: [...(options.preloadModules ?? []), WARMUP],
    webpackConfigHook: (config) => {
      config.module = config.module ?? {};
      config.module.rules = [...(config.module.rules ?? []), { test: ZOD_FILES, use: [{ loader: __filename }] }];
      return hook(config);
    },
  };
}

module.exports = guardLastIndexResets;
module.exports.withSharedZod = withSharedZod;
module.exports.SHARED_ZOD_FILES = [__filename, WARMUP];
