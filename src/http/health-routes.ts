import type { FastifyInstance } from 'fastify';
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
  app.get('/health', async () => ({ status: 'ok', node: deps.node }));
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
