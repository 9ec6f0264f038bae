// The ingest API as a Fastify instance, with everything it talks to injected (Temporal client, task
// queue, settings), so tests run it against their own server. api/main.ts is the process around it.
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ApiConfig } from '../config/config';
import type { EngineConfig } from '../workflows/engineConfig';
import { createWriteKeys } from './auth';
import { createDeliver, type DeliverOptions } from './deliver';
import { ApiError, errorHandler, sendError } from './errors';
import { ApiMetrics } from './metrics';
import { TokenBuckets } from './rateLimit';
import { healthRoutes } from './routes/health';
import { ingestRoutes } from './routes/ingest';
import { metricsRoutes } from './routes/metrics';
import { openApiRoutes } from './routes/openapi';
import { LIMITS } from './schemas';

export interface ServerDeps {
  client: Client;
  taskQueue: string;
  api: Pick<ApiConfig, 'writeKeys' | 'rateLimit' | 'temporalTimeoutMs'>;
  /** Passed to a customer workflow when an event starts it (delivery policy), as the CLI does. */
  engine?: Partial<EngineConfig>;
  logger?: FastifyServerOptions['logger'];
  metrics?: ApiMetrics;
  /** Clock of the rate limiter (ms). */
  now?: () => number;
  /** Overrides for tests (e.g. a different sendEvent). */
  deliver?: Partial<Pick<DeliverOptions, 'concurrency' | 'sendEvent' | 'retryAfterSeconds'>>;
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const metrics = deps.metrics ?? new ApiMetrics();
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: LIMITS.batchBytes,
    requestTimeout: 60_000,
    return503OnClosing: true,
  });
  // JSON only: Fastify would otherwise take text/plain as a string body.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    request.apiError = 'not_found';
    return sendError(reply, new ApiError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.request(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    if (reply.statusCode >= 400) metrics.error(route, request.apiError ?? `http_${reply.statusCode}`);
  });

  const deliver = createDeliver({
    client: deps.client,
    taskQueue: deps.taskQueue,
    engine: deps.engine,
    timeoutMs: deps.api.temporalTimeoutMs,
    ...deps.deliver,
  });
  const ingest = {
    keys: createWriteKeys(deps.api.writeKeys),
    limiter: new TokenBuckets({ ...deps.api.rateLimit, now: deps.now }),
    deliver,
    metrics,
  };
  void app.register(ingestRoutes, ingest);
  void app.register(healthRoutes, { client: deps.client, timeoutMs: Math.min(2000, deps.api.temporalTimeoutMs) });
  void app.register(metricsRoutes, { metrics });
  void app.register(openApiRoutes);
  return app;
}
