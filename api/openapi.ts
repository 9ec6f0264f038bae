// The OpenAPI 3.1 document of the ingest API, generated from the zod schemas (z.toJSONSchema), so the
// documentation cannot drift from what the API validates.
import { z } from 'zod';
import {
  AcceptedResponse,
  BatchAcceptedResponse,
  BatchRequest,
  ErrorResponse,
  HealthResponse,
  IdentifyRequest,
  LIMITS,
  TrackRequest,
} from './schemas';

type Json = Record<string, unknown>;

function componentSchemas(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  const named: Record<string, z.ZodType> = {
    TrackRequest,
    IdentifyRequest,
    BatchRequest,
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
  return schemas;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({ description, content: { 'application/json': { schema: ref(id) } } });
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };

const errors = {
  '400': json('Error', 'Schema error or malformed JSON; `issues` names each field (e.g. `batch.3.event`). Nothing was accepted.'),
  '401': json('Error', 'Missing or unknown write key.'),
  '413': json('Error', `Over a size limit: ${LIMITS.eventBytes / 1024} KB per event, ${LIMITS.batchBytes / 1024} KB per batch body, ${LIMITS.batchEvents} events per batch. Nothing was accepted.`),
  '415': json('Error', 'Content-Type is not application/json.'),
  '429': { ...json('Error', 'Over the write key\'s rate (events per second). Nothing was accepted.'), headers: retryAfter },
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
      '/v1/identify': ingest('Set traits on a customer', 'An identify call: `traits` are merged into the customer\'s profile.', 'IdentifyRequest', 'AcceptedResponse'),
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
        get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } } },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
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
