// The OpenAPI 3.1 document of the ingest API, generated from the zod schemas (z.toJSONSchema), so the
// documentation cannot drift from what the API validates.
import { z } from 'zod';
import { isValidTimeZone } from '../sdk/timezone';
import {
  AcceptedResponse,
  BatchAcceptedResponse,
  BatchRequest,
  Context,
  ErrorResponse,
  HealthResponse,
  IdentifyRequest,
  LIMITS,
  TrackRequest,
} from './schemas';

type Json = Record<string, unknown>;

/** The IANA names this server accepts as `context.timezone` (the zod schema checks with a refine, which JSON
 *  Schema cannot express; without the list a client or a property-based tester cannot tell "Mars/Olympus"
 *  from "Europe/London"). */
function timeZoneNames(): string[] {
  const names = new Set(['UTC', ...Intl.supportedValuesOf('timeZone')]);
  return [...names].filter(isValidTimeZone).sort();
}

/** userId or anonymousId is required: a zod refine, which z.toJSONSchema leaves out. */
const IDENTITY = { anyOf: [{ required: ['userId'] }, { required: ['anonymousId'] }] };

function componentSchemas(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  const named: Record<string, z.ZodType> = {
    TrackRequest,
    IdentifyRequest,
    BatchRequest,
    Context,
    AcceptedResponse,
    BatchAcceptedResponse,
    Error: ErrorResponse,
    Health: HealthResponse,
  };
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'input', uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, Json> };
  for (const s of Object.values(schemas)) {
    delete s.$schema;
    delete s.$id;
  }
  // What the refines check, as JSON Schema: the identity rule on every message, the timezone as a list.
  Object.assign(schemas.TrackRequest, IDENTITY);
  Object.assign(schemas.IdentifyRequest, IDENTITY);
  const items = ((schemas.BatchRequest.properties as Record<string, Json>).batch.items as { oneOf: Json[] }).oneOf;
  for (const message of items) Object.assign(message, IDENTITY);
  const timezone = (schemas.Context.properties as Record<string, Json>).timezone;
  timezone.enum = timeZoneNames();
  delete timezone.maxLength;
  for (const s of Object.values(schemas)) forbidProtoKeys(s);
  schemas.JsonValue = JSON_VALUE;
  return schemas;
}

/** Any JSON value without a `__proto__` key at any depth: the values of properties, traits and unknown fields. */
const JSON_VALUE: Json = {
  description: 'Any JSON value. Objects may not have a `__proto__` key, at any depth (the body is refused as malformed).',
  anyOf: [
    { type: 'null' },
    { type: 'boolean' },
    { type: 'number' },
    { type: 'string' },
    { type: 'array', items: { $ref: '#/components/schemas/JsonValue' } },
    { type: 'object', propertyNames: { type: 'string', not: { const: '__proto__' } }, additionalProperties: { $ref: '#/components/schemas/JsonValue' } },
  ],
};

const isAnything = (v: unknown): boolean => !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;

/** The JSON parser refuses a body with a `__proto__` key anywhere (prototype poisoning → 400): say so on every
 *  object of the schemas, and make "any value" (`{}`) the JsonValue that says the same for nested objects, so
 *  the document does not promise what the API rejects. */
function forbidProtoKeys(schema: unknown): void {
  if (Array.isArray(schema)) return schema.forEach(forbidProtoKeys);
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Json;
  if (s.type === 'object' && s.additionalProperties !== false) {
    s.propertyNames = { ...(s.propertyNames as Json | undefined), type: 'string', not: { const: '__proto__' } };
    if (s.additionalProperties === undefined || isAnything(s.additionalProperties)) s.additionalProperties = { $ref: '#/components/schemas/JsonValue' };
  }
  if (s.type === 'array' && isAnything(s.items)) s.items = { $ref: '#/components/schemas/JsonValue' };
  for (const [key, value] of Object.entries(s)) if (key !== 'propertyNames' && key !== 'enum') forbidProtoKeys(value);
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({ description, content: { 'application/json': { schema: ref(id) } } });
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };

const errors = {
  '400': json('Error', 'Schema error or malformed JSON; `issues` names each field (e.g. `batch.3.event`). Nothing was accepted.'),
  '401': json('Error', 'Missing or unknown write key.'),
  '413': json(
    'Error',
    `Over a size limit: ${LIMITS.eventBytes / 1024} KB per event, ${LIMITS.batchBytes / 1024} KB per batch body, ${LIMITS.batchEvents} events per batch. Nothing was accepted.`,
  ),
  '415': json('Error', 'Content-Type is not application/json.'),
  '429': { ...json('Error', "Over the write key's rate (events per second). Nothing was accepted."), headers: retryAfter },
  '500': json(
    'Error',
    'Temporal refused for a reason that retrying does not fix (e.g. an unknown namespace). Nothing is acknowledged; `messageIds` lists the events.',
  ),
  '503': {
    ...json('Error', 'Temporal did not confirm the events in time. Nothing is acknowledged: retry with the same messageIds (returned in `messageIds`).'),
    headers: retryAfter,
  },
};

function ingest(summary: string, description: string, request: string, response: string) {
  return {
    post: {
      summary,
      description,
      security: [{ writeKeyBasic: [] }, { writeKeyBearer: [] }],
      requestBody: { required: true, content: { 'application/json': { schema: ref(request) } } },
      responses: { '200': json(response, 'Temporal has the event(s) durably.'), ...errors },
    },
  };
}

export function buildOpenApi(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'omnijourney ingest API',
      version: '1.0.0',
      description:
        'Segment-compatible event ingestion. A 200 means Temporal has the event durably. Send a messageId with every event: a retry with the same messageId is counted once.',
    },
    paths: {
      '/v1/track': ingest('Record an event', 'A track call: `event` is the event name, `properties` its data.', 'TrackRequest', 'AcceptedResponse'),
      '/v1/identify': ingest(
        'Set traits on a customer',
        "An identify call: `traits` are merged into the customer's profile.",
        'IdentifyRequest',
        'AcceptedResponse',
      ),
      '/v1/batch': ingest(
        'Several track/identify calls at once',
        `Up to ${LIMITS.batchEvents} messages and ${LIMITS.batchBytes / 1024} KB. Validated whole: one bad message rejects the batch and nothing is accepted.`,
        'BatchRequest',
        'BatchAcceptedResponse',
      ),
      '/healthz': {
        get: {
          summary: 'Whether Temporal is reachable',
          responses: { '200': json('Health', 'Temporal is reachable.'), '503': json('Health', 'Temporal is not reachable.') },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: { '200': { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    },
    components: {
      securitySchemes: {
        writeKeyBasic: { type: 'http', scheme: 'basic', description: 'The write key as the username, with an empty password (Segment style).' },
        writeKeyBearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <write key>' },
      },
      schemas: componentSchemas(),
    },
  };
}
