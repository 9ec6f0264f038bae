// Request and response bodies of the ingest API, in Segment's field names (https://segment.com/docs/connections/spec/).
// Unknown fields (integrations, sentAt, _metadata, context.library, …) are accepted and ignored, so
// Segment's own libraries can post here. These schemas also generate /openapi.json.
import { z } from 'zod';
import { Traits } from '../sdk/events';
import { isValidTimeZone } from '../sdk/timezone';

/** Segment's documented limits, enforced before validation (413). */
export const LIMITS = {
  /** One track/identify call, or one message inside a batch, as JSON. */
  eventBytes: 32 * 1024,
  /** A whole /v1/batch body. */
  batchBytes: 500 * 1024,
  batchEvents: 100,
  /** Objects and arrays inside one message (the message itself is level 1): deeper is a 400, so a hostile
   *  body cannot exhaust a stack anywhere it is copied or serialized (the API, Temporal, the workflows). */
  nesting: 32,
} as const;

/** Every surrogate in a pair (String.prototype.isWellFormed, which ES2022 lacks). */
const WELL_FORMED = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;

/** Ids and event names end up in workflow IDs, search attributes, logs and the UI: no control characters
 *  (NUL, escape sequences, line breaks) and no lone UTF-16 surrogates. */
const id = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'at most 200 characters')
  .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters')
  .refine((s) => WELL_FORMED.test(s), 'must be well-formed Unicode (no lone surrogates)');
const Dict = z.record(z.string(), z.unknown());

export const Context = z
  .looseObject({
    timezone: z
      .string()
      .max(100)
      .refine((tz) => isValidTimeZone(tz), 'not an IANA timezone (e.g. "Europe/London")')
      .optional()
      .describe("The customer's IANA timezone; sets the timezone used for quiet hours and local-time sends."),
    traits: Traits.optional().describe(
      'Traits known at the time of the call. Merged into the profile on identify calls only (`email`, if present, must still be exactly one address).',
    ),
  })
  .describe('Segment context. Only timezone and traits are used; other fields are accepted and ignored.');

const common = {
  userId: id.optional().describe('Your id of the customer. Either userId or anonymousId is required; userId wins.'),
  anonymousId: id.optional().describe('Used as the customer id when there is no userId (no merge with a later userId).'),
  messageId: id
    .optional()
    .describe(
      'Idempotency key. A retry with the same messageId is counted once. If absent the API generates one and returns it — send your own so that retries are safe.',
    ),
  timestamp: z.iso
    .datetime({ offset: true, error: 'expected an ISO 8601 timestamp, e.g. 2026-01-05T09:00:00Z' })
    .optional()
    .describe('When the event happened (ISO 8601 with offset); informational.'),
  context: Context.optional(),
};

/** userId or anonymousId: checked even when other fields are wrong too, so one answer names every problem. */
function withIdentity<T extends z.ZodObject>(schema: T): T {
  return schema.refine((v: { userId?: unknown; anonymousId?: unknown }) => v.userId !== undefined || v.anonymousId !== undefined, {
    path: ['userId'],
    message: 'userId or anonymousId is required',
    when: (p) => typeof p.value === 'object' && p.value !== null && !Array.isArray(p.value),
  });
}

const trackShape = {
  ...common,
  event: id.describe('Event name, e.g. "user.signed_up". Journeys start on and wait for these names.'),
  properties: Dict.optional().describe('Event properties; journeys validate them with their trigger schema.'),
};
const identifyShape = {
  ...common,
  traits: Traits.optional().describe(
    'Traits to set on the customer (email, phone, timezone, firstName, …); null removes a trait. `email` is exactly one address.',
  ),
};

export const TrackRequest = withIdentity(z.looseObject({ type: z.literal('track').optional(), ...trackShape }));
export type TrackRequest = z.infer<typeof TrackRequest>;

export const IdentifyRequest = withIdentity(z.looseObject({ type: z.literal('identify').optional(), ...identifyShape }));
export type IdentifyRequest = z.infer<typeof IdentifyRequest>;

const BatchTrack = withIdentity(z.looseObject({ type: z.literal('track'), ...trackShape }));
const BatchIdentify = withIdentity(z.looseObject({ type: z.literal('identify'), ...identifyShape }));
export const BatchMessage = z.discriminatedUnion('type', [BatchTrack, BatchIdentify], {
  error: (iss) => (iss.code === 'invalid_union' ? 'expected "track" or "identify" (page, screen, group and alias are not supported)' : undefined),
});
export type BatchMessage = z.infer<typeof BatchMessage>;

export const BatchRequest = z.looseObject({
  batch: z
    .array(BatchMessage)
    .min(1, 'at least one message')
    .max(LIMITS.batchEvents)
    .describe(`Up to ${LIMITS.batchEvents} messages; the batch is accepted whole or not at all.`),
  context: Context.optional().describe("Merged under every message's own context."),
});
export type BatchRequest = z.infer<typeof BatchRequest>;

export const AcceptedResponse = z.object({
  success: z.literal(true),
  messageId: z.string().describe('The messageId of the event (yours, or the generated one).'),
});

export const BatchAcceptedResponse = z.object({
  success: z.literal(true),
  messageIds: z.array(z.string()).describe('The messageIds of the batch, in order.'),
});

export const ErrorResponse = z.object({
  error: z.enum([
    'invalid_request',
    'unauthorized',
    'payload_too_large',
    'unsupported_media_type',
    'rate_limited',
    'temporal_unavailable',
    'not_found',
    'method_not_allowed',
    'internal_error',
  ]),
  message: z.string(),
  issues: z
    .array(z.object({ path: z.string().describe('Dotted path of the field, e.g. "batch.3.event"; "" is the whole body.'), message: z.string() }))
    .describe('What is wrong, field by field.'),
  messageIds: z.array(z.string()).optional().describe('On 503/500: the messageIds of the events of this request. Retry with these to have each counted once.'),
});
export type ErrorResponse = z.infer<typeof ErrorResponse>;

export const HealthResponse = z.object({
  status: z.enum(['ok', 'unavailable']),
  temporal: z.enum(['reachable', 'unreachable']),
  message: z.string().optional(),
});
