import type { FastifyRequest } from 'fastify';
import { IdbridgeError } from '../../core/errors.js';
import type { Database } from '../../db/port.js';
import type { HttpApp } from '../../http/create-http-app.js';
import type { DirectoryIndex } from '../../node/directory.js';
import {
  BODY_ROUTE_ERRORS,
  errorResponses,
  IdentificationResult,
  NoContent,
  NotificationsRequest,
  NotificationsResponse,
} from '../../protocol/schemas/index.js';
import { findAttempt } from '../identification/attempt-store.js';
import type { MessengerIdentifier } from '../identification/messenger-identifier.js';

// 403: the caller is not an operator; 409: an id reused with another body (protocol.md §1, §3).
const errors = errorResponses(...BODY_ROUTE_ERRORS, 403, 409);

/** The messenger endpoints operators call (protocol.md §3). Mount inside a signed scope. */
export function registerMessengerPartnerRoutes(
  app: HttpApp,
  deps: {
    db: Database;
    directory: DirectoryIndex;
    identifier: MessengerIdentifier;
    handleNotices: (
      operatorId: string,
      body: NotificationsRequest,
    ) => Promise<NotificationsResponse>;
  },
): void {
  const operatorOf = (request: FastifyRequest): string => {
    const id = request.partner?.participantId;
    if (!id || deps.directory.get(id)?.role !== 'operator') {
      throw new IdbridgeError('PERMISSION_DENIED', 'only operators may call this endpoint');
    }
    return id;
  };

  app.post(
    '/v1/identification-results',
    {
      schema: {
        operationId: 'submitIdentificationResult',
        summary: 'The answer to a request that got 202 (idempotent by requestId)',
        body: IdentificationResult,
        response: { 204: NoContent, ...errors, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const operatorId = operatorOf(request);
      const body = request.body;
      const attempt = await findAttempt(deps.db, body.requestId);
      // Another operator's request is as unknown as a missing one.
      if (!attempt || attempt.operatorId !== operatorId) {
        throw new IdbridgeError(
          'NOT_FOUND',
          `no identification request ${body.requestId} sent to ${operatorId}`,
        );
      }
      await deps.identifier.applyAnswer(body.requestId, body, {
        callback: body,
        signedBy: request.partner?.keyId,
      });
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/notifications',
    {
      schema: {
        operationId: 'receiveNotifications',
        summary: 'Notices of ended contracts (R7); acknowledged once acted on',
        body: NotificationsRequest,
        response: { 200: NotificationsResponse, ...errors },
      },
    },
    async (request) => {
      const operatorId = operatorOf(request);
      return deps.handleNotices(operatorId, request.body);
    },
  );
}
