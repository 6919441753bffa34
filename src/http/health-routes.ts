import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IDBRIDGE_VERSION } from '../core/version.js';
import type { Queryable } from '../db/port.js';

/**
 * `GET /health`: the process is up (liveness). `GET /ready`: the node can do
 * its work now — its database answers (readiness). Load balancers use the
 * second; restarts are decided on the first.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { db: Queryable; node: string },
): void {
  app.get(
    '/health',
    {
      schema: {
        response: {
          200: Type.Object(
            {
              status: Type.Literal('ok'),
              node: Type.String(),
              version: Type.String({ description: 'the idbridge release this process runs' }),
            },
            { additionalProperties: false },
          ),
        },
      },
    },
    async () => ({ status: 'ok' as const, node: deps.node, version: IDBRIDGE_VERSION }),
  );
  app.get('/ready', async (_req, reply) => {
    try {
      await deps.db.query('SELECT 1');
      return { status: 'ready', node: deps.node };
    } catch {
      return reply
        .code(503)
        .send({ status: 503, code: 'UNAVAILABLE', message: 'database unavailable' });
    }
  });
}
