import type { z } from 'zod';

/** "properties.birthDate: Invalid string…; properties.species: …" — names the field a person must fix. */
export function formatZodError(error: z.ZodError, prefix = 'properties'): string {
  return error.issues.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.')}: ${i.message}`).join('; ');
}
