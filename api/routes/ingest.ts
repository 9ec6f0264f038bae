// POST /v1/track, /v1/identify, /v1/batch: check limits, validate the whole request, take rate tokens,
// then answer 200 only once Temporal has every event. Any failure before that accepts nothing.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CustomerEvent } from '../../sdk/events';
import type { WriteKeys } from '../auth';
import { requireWriteKey } from '../auth';
import type { Deliver } from '../deliver';
import { ApiError, invalidRequest } from '../errors';
import { checkBatchLimits, checkNesting } from '../limits';
import { toCustomerEvent } from '../mapping';
import type { ApiMetrics } from '../metrics';
import type { TokenBuckets } from '../rateLimit';
import { BatchRequest, IdentifyRequest, LIMITS, TrackRequest } from '../schemas';

export interface IngestDeps {
  keys: WriteKeys;
  limiter: TokenBuckets;
  deliver: Deliver;
  metrics: ApiMetrics;
}

function toEvents(route: 'track' | 'identify' | 'batch', body: unknown): CustomerEvent[] {
  if (route === 'batch') {
    checkBatchLimits(body);
    const parsed = BatchRequest.safeParse(body);
    if (!parsed.success) throw invalidRequest(parsed.error);
    return parsed.data.batch.map((m) => toCustomerEvent(m, { context: parsed.data.context }));
  }
  checkNesting(body);
  if (route === 'track') {
    const parsed = TrackRequest.safeParse(body);
    if (!parsed.success) throw invalidRequest(parsed.error);
    return [toCustomerEvent({ ...parsed.data, type: 'track' })];
  }
  const parsed = IdentifyRequest.safeParse(body);
  if (!parsed.success) throw invalidRequest(parsed.error);
  return [toCustomerEvent({ ...parsed.data, type: 'identify' })];
}

export async function ingestRoutes(app: FastifyInstance, deps: IngestDeps): Promise<void> {
  app.addHook('onRequest', requireWriteKey(deps.keys));

  async function accept(route: 'track' | 'identify' | 'batch', request: FastifyRequest): Promise<CustomerEvent[]> {
    const events = toEvents(route, request.body);
    const taken = deps.limiter.take(request.writeKeyId ?? '', events.length);
    if (!taken.ok) {
      throw new ApiError(429, 'rate_limited', `rate limit of this write key exceeded; nothing was accepted, retry after ${taken.retryAfterSeconds} s`, [], {
        'retry-after': String(taken.retryAfterSeconds),
      });
    }
    await deps.deliver(events);
    for (const e of events) deps.metrics.accepted(e.type, e.name);
    return events;
  }

  const single = { bodyLimit: LIMITS.eventBytes };
  app.post('/v1/track', single, async (request) => ({ success: true, messageId: (await accept('track', request))[0].messageId }));
  app.post('/v1/identify', single, async (request) => ({ success: true, messageId: (await accept('identify', request))[0].messageId }));
  app.post('/v1/batch', { bodyLimit: LIMITS.batchBytes }, async (request) => ({
    success: true,
    messageIds: (await accept('batch', request)).map((e) => e.messageId),
  }));
}
