import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { IdbridgeError } from '../core/errors.js';

/**
 * Requires `Authorization: Bearer <token>` on every route of the scope. The
 * comparison is over SHA-256 digests in constant time, so neither the token's
 * length nor its prefix leaks through timing.
 */
export function applyBearerAuth(scope: FastifyInstance, token: string): void {
  const expected = createHash('sha256').update(token).digest();
  scope.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer (\S+)$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new IdbridgeError(
        'UNAUTHENTICATED',
        'missing bearer credential (Authorization: Bearer …)',
      );
    }
    const given = createHash('sha256').update(match[1]).digest();
    if (!timingSafeEqual(given, expected)) {
      throw new IdbridgeError('UNAUTHENTICATED', 'invalid bearer credential');
    }
  });
}
