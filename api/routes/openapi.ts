// GET /openapi.json: the OpenAPI document generated from the zod schemas.
import type { FastifyInstance } from 'fastify';
import { buildOpenApi } from '../openapi';

export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  const doc = buildOpenApi();
  app.get('/openapi.json', async () => doc);
}
