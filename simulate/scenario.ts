// The scenario file `omnijourney simulate --scenario` reads. Validated; a bad file is exit code 2.
import { z } from 'zod';
import { toMs } from '../sdk/duration';
import { Channel, Properties, Topic, Traits } from '../sdk/events';

/** An ISO instant: what resolveAt reads as one (it starts with a date), and a valid one. */
const isInstant = (s: string): boolean => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s));
const isOffset = (s: string): boolean => {
  try {
    toMs(s);
    return true;
  } catch {
    return false;
  }
};
const Instant = z.string().refine(isInstant, 'expected an ISO instant like 2026-01-05T09:00:00Z');
/** An event's `at` and the scenario's `until`. */
export const AT_EXPECTED = 'expected an offset like 36h or 400d, or an ISO instant like 2026-01-05T09:00:00Z (an offset counts from start)';
const At = z.string().refine((s) => isInstant(s) || isOffset(s), { error: (issue) => `${AT_EXPECTED}, not ${JSON.stringify(issue.input)}` });

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
