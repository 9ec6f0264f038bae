// GET /healthz: 200 when Temporal answers within a short deadline, 503 otherwise. No write key needed.
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { withDeadline } from '../../client/deadline';

export async function healthRoutes(app: FastifyInstance, deps: { client: Client; timeoutMs: number }): Promise<void> {
  app.get('/healthz', async (_request, reply) => {
    try {
      await withDeadline(deps.client, Date.now() + deps.timeoutMs, () => deps.client.workflowService.getSystemInfo({}));
      return { status: 'ok', temporal: 'reachable' };
    } catch (err) {
      reply.code(503).header('retry-after', '5');
      return { status: 'unavailable', temporal: 'unreachable', message: (err as Error).message };
    }
  });
}
