// GET /metrics: Prometheus text format. No write key needed (bind the API to a private address).
import type { FastifyInstance } from 'fastify';
import type { ApiMetrics } from '../metrics';

export async function metricsRoutes(app: FastifyInstance, deps: { metrics: ApiMetrics }): Promise<void> {
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return deps.metrics.render();
  });
}
