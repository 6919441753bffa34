import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the OpenAPI document of this listener's routes at `/docs` (JSON),
 * generated from the same TypeBox schemas that validate requests, so the
 * document cannot drift from the code. Register before the routes.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  info: { title: string; description: string; version?: string },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: info.title, description: info.description, version: info.version ?? '1.0.0' },
    },
  });
  app.get('/docs', { schema: { hide: true } }, async () => app.swagger());
}
