// Preloaded into the workflow sandbox with zod (worker/sharedZod.cjs), before the SDK freezes the shared
// modules: zod sets its defaults (the English messages, the parse memoizer) in its global config the first
// time a schema is built, and caches on its exported `util.allowsEval` whether it may compile object parsers
// the first time a `z.object` is built; either would throw on the frozen object inside a workflow. Reading
// and building them here sets them while they can still change.
import { z } from 'zod';

void z.util.allowsEval.value;

const warm = z.object({
  s: z.string().min(1).email(),
  n: z.number().int().optional(),
  e: z.enum(['a', 'b']).default('a'),
  a: z.array(z.union([z.literal(1), z.boolean()])),
  r: z.record(z.string(), z.unknown()),
});
warm.safeParse({ s: '', n: 1.5, a: [2], r: [] });
