// The event shape every part of the engine shares (API, CLI, simulate, workflows).
import { z } from 'zod';
import { EMAIL_ADDRESS, EMAIL_ADDRESS_EXPECTED, EMAIL_ADDRESS_MAX_LENGTH, emailAddressProblem } from './emailAddress';

export const Properties = z.record(z.string(), z.unknown());
export type Properties = z.infer<typeof Properties>;

const notOneAddress = (iss: { input?: unknown }): string => `${EMAIL_ADDRESS_EXPECTED}: ${emailAddressProblem(iss.input)}`;
/** The `email` trait: exactly one bare address (sdk/emailAddress.ts). A max length and a pattern, so the API's
 *  JSON Schema says the same as this check. */
export const EmailTrait = z
  .string({ error: notOneAddress })
  .max(EMAIL_ADDRESS_MAX_LENGTH, { error: notOneAddress, abort: true })
  .regex(EMAIL_ADDRESS, { error: notOneAddress })
  .describe('Exactly one email address, without a name or angle brackets (e.g. "ada@example.com"); null removes it.');

/** Traits: any keys, but `email` is exactly one address or null (which removes it). */
export const Traits = z.looseObject({ email: EmailTrait.nullable().optional() });
export type Traits = z.infer<typeof Traits>;

export const CustomerEvent = z.object({
  messageId: z.string().min(1).max(200),
  type: z.enum(['track', 'identify']),
  customerId: z.string().min(1).max(200),
  /** Event name; required for `track`, `identify` for identify calls. */
  name: z.string().min(1).max(200),
  properties: Properties.default({}),
  traits: Traits.default({}),
  /** ISO timestamp of when the event happened (client clock) — informational. */
  timestamp: z.string().datetime({ offset: true }).optional(),
  context: z
    .object({ timezone: z.string().max(100).optional() })
    .partial()
    .default({}),
});
export type CustomerEvent = z.infer<typeof CustomerEvent>;

/** What a journey sees of an event: its name, properties and when the engine received it. */
export interface JourneyEvent<P = Properties> {
  name: string;
  messageId: string;
  properties: P;
  receivedAt: string;
}

export const Channel = z.enum(['email', 'sms', 'webhook', 'slack']);
export type Channel = z.infer<typeof Channel>;

export const Topic = z.enum(['marketing', 'transactional']);
export type Topic = z.infer<typeof Topic>;
