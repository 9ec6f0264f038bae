// The scenario file `omnijourney simulate --scenario` reads. Validated; a bad file is exit code 2.
import { z } from 'zod';
import { toMs } from '../sdk/duration';
import { Channel, Properties, Topic, Traits } from '../sdk/events';

const Instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO timestamp like 2025-01-01T09:00:00Z');
const Offset = z.string().refine((s) => {
  try {
    toMs(s);
    return true;
  } catch {
    return false;
  }
}, 'expected an offset like "0d", "36h", "400d"');
const At = z.union([Instant, Offset]);

export const Scenario = z.object({
  start: Instant,
  customer: z.object({
    id: z.string().min(1).max(200),
    traits: Traits.default({}),
    consent: z
      .object({
        channels: z.partialRecord(Channel, z.boolean()).default({}),
        topics: z.partialRecord(Topic, z.boolean()).default({}),
      })
      .default({ channels: {}, topics: {} }),
  }),
  events: z
    .array(
      z.object({
        at: At,
        name: z.string().min(1),
        type: z.enum(['track', 'identify']).default('track'),
        properties: Properties.default({}),
        traits: Traits.default({}),
      }),
    )
    .default([]),
  until: At,
});
export type Scenario = z.infer<typeof Scenario>;

/** Resolves "at" (ISO or offset from start) to an instant. */
export function resolveAt(at: string, start: Date): Date {
  return /^\d{4}-\d{2}-\d{2}/.test(at) ? new Date(at) : new Date(start.getTime() + toMs(at));
}
