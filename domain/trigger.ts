// Whether a trigger event starts a journey run: the trigger's schema (a failure is a rejection naming the
// field), its entry condition (`when`) and the run's key. One rule for the customer workflow's routing and
// for testJourney, so a unit test is rejected with the message the customer's record shows.
import type { z } from 'zod';
import type { Properties } from '../sdk/events';
import type { JourneyDefinition } from '../sdk/journey';
import { formatZodError } from './zodMessage';

export const NOT_ENTERED = 'the entry condition (trigger.when) is false';

export type Admission<P> =
  | { outcome: 'entered'; properties: P; key?: string }
  /** The properties fail the schema: `reason` names each field ("properties.plan: Invalid option…"). */
  | { outcome: 'rejected'; reason: string }
  | { outcome: 'not-entered'; reason: typeof NOT_ENTERED };

/** The trigger's verdict on an event's properties, given the customer's traits (for `when`). */
export function admitEntry<S extends z.ZodType>(def: JourneyDefinition<S>, properties: unknown, traits: Properties): Admission<z.infer<S>> {
  const parsed = def.trigger.schema.safeParse(properties);
  if (!parsed.success) return { outcome: 'rejected', reason: formatZodError(parsed.error) };
  const props = parsed.data as z.infer<S>;
  if (def.trigger.when && !def.trigger.when(props, traits)) return { outcome: 'not-entered', reason: NOT_ENTERED };
  return { outcome: 'entered', properties: props, key: def.trigger.key ? String(def.trigger.key(props)) : undefined };
}
