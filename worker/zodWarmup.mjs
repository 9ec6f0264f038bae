// Preloaded into the workflow sandbox with zod (worker/sharedZod.cjs), before the SDK freezes the shared
// modules: zod sets its defaults (the English messages, the parse memoizer) in its global config the first
// time a schema is built, which would throw on the frozen config inside a workflow. Building one of each kind
// here sets them while the config can still change.
import { z } from 'zod';

const warm = z.object({
  s: z.string().min(1).email(),
  n: z.number().int().optional(),
  e: z.enum(['a', 'b']).default('a'),
  a: z.array(z.union([z.literal(1), z.boolean()])),
  r: z.record(z.string(), z.unknown()),
});
warm.safeParse({ s: '', n: 1.5, a: [2], r: [] });
