import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { NumberHasher } from '../../core/number-hash.js';
import type { Database } from '../../db/port.js';
import type { HttpApp } from '../../http/create-http-app.js';
import { storedAnswerCheck } from '../../http/stored-answer.js';
import type { DirectoryIndex } from '../../node/directory.js';
import { hashRequestBody, runIdempotent } from '../../partner-records/idempotency-store.js';
import {
  BatchIdentificationRequest,
  BatchIdentificationResponse,
  BODY_ROUTE_ERRORS,
  BODYLESS_ROUTE_ERRORS,
  errorResponses,
  IdentificationAnswer,
  IdentificationCode,
  IdentificationDecided,
  IdentificationPending,
  IdentificationRequest,
  NoContent,
  Uuid,
} from '../../protocol/schemas/index.js';
import { decideBatch } from '../identification/decide-batch.js';
import { findIdentificationRequest } from '../identification/identification-request-store.js';
import type { Identify } from '../identification/identify-requests.js';
import type { OperatorMetrics } from '../operator-metrics.js';
import { closeEntryByCode } from '../register/register-store.js';

export interface OperatorPartnerRouteDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  hashNumber: NumberHasher;
  directory: DirectoryIndex;
  slowPathEnabled: boolean;
  metrics: OperatorMetrics;
  /** Decides single identifications (identify-requests.ts: grouped when they queue up). */
  identify: Identify;
  /** Called after a request went pending, so the slow path looks at once. */
  onPending: () => void;
}

// 403: the caller is not a messenger; 409: an id or code reused (protocol.md §1, §2).
const postErrors = errorResponses(...BODY_ROUTE_ERRORS, 403, 409);
const readErrors = errorResponses(...BODYLESS_ROUTE_ERRORS, 403, 404);

/** The operator endpoints messengers call (protocol.md §2). Mount inside a signed scope. */
// The answers stored under an idempotency key, checked before they go out again.
const identifyAnswer = storedAnswerCheck(IdentificationAnswer, 'identification');
const batchAnswer = storedAnswerCheck(BatchIdentificationResponse, 'batch');

export function registerOperatorPartnerRoutes(app: HttpApp, deps: OperatorPartnerRouteDeps): void {
  const messengerOf = (request: FastifyRequest): string => {
    const id = request.partner?.participantId;
    if (!id || deps.directory.get(id)?.role !== 'messenger') {
      throw new IdbridgeError('PERMISSION_DENIED', 'only messengers may call this endpoint');
    }
    return id;
  };

  app.post(
    '/v1/identifications',
    {
      schema: {
        operationId: 'identify',
        summary: 'Identify a subscriber by number (R3–R5, I3)',
        body: IdentificationRequest,
        response: { 200: IdentificationDecided, 202: IdentificationPending, ...postErrors },
      },
    },
    async (request, reply) => {
      const messengerId = messengerOf(request);
      const body = request.body;
      const outcome = await deps.identify({
        messengerId,
        request: body,
        requestHash: hashRequestBody(request.rawBody ?? ''),
        receivedAt: deps.clock.now(),
      });
      const answer = identifyAnswer(outcome.body);
      if (!outcome.replayed) {
        const result = answer.result;
        deps.metrics.identifications.inc({ messenger: messengerId, result });
        // A fast answer takes as long as this request has so far.
        if (result !== 'pending')
          deps.metrics.answerSeconds.observe({ messenger: messengerId }, reply.elapsedTime / 1000);
        if (result === 'pending') deps.onPending();
      }
      return reply.code(answer.result === 'pending' ? 202 : 200).send(answer);
    },
  );

  app.get(
    '/v1/identifications/:requestId',
    {
      schema: {
        operationId: 'getIdentification',
        summary: 'The state of one of your identification requests',
        params: Type.Object({ requestId: Uuid }, { additionalProperties: false }),
        response: { 200: IdentificationAnswer, ...readErrors },
      },
    },
    async (request) => {
      const messengerId = messengerOf(request);
      const { requestId } = request.params;
      const found = await findIdentificationRequest(deps.db, messengerId, requestId);
      // Another messenger's request is indistinguishable from an unknown one (R11).
      if (!found) throw new IdbridgeError('NOT_FOUND', `no identification request ${requestId}`);
      return found.answer;
    },
  );

  app.post(
    '/v1/identifications/batch',
    {
      schema: {
        operationId: 'identifyBatch',
        summary: 'Legacy users in bulk, by rule I1 (R9)',
        body: BatchIdentificationRequest,
        response: { 200: BatchIdentificationResponse, ...postErrors },
      },
    },
    async (request, reply) => {
      const messengerId = messengerOf(request);
      const batch = request.body;
      const receivedAt = deps.clock.now();
      const outcome = await runIdempotent(
        deps.db,
        {
          callerId: messengerId,
          key: `batch:${batch.batchId}`,
          requestHash: hashRequestBody(request.rawBody ?? ''),
        },
        deps.clock,
        async (tx) => ({
          statusCode: 200,
          body: await decideBatch(tx, deps, { messengerId, batch, receivedAt }),
        }),
      );
      if (!outcome.replayed)
        deps.metrics.batchItems.inc({ messenger: messengerId }, batch.items.length);
      return reply.code(200).send(batchAnswer(outcome.body));
    },
  );

  app.delete(
    '/v1/registrations/:identificationCode',
    {
      schema: {
        operationId: 'withdrawRegistration',
        summary: 'Withdraw a code: the user deleted their account (I4)',
        params: Type.Object(
          { identificationCode: IdentificationCode },
          { additionalProperties: false },
        ),
        response: { 204: NoContent, ...readErrors },
      },
    },
    async (request, reply) => {
      const messengerId = messengerOf(request);
      const { identificationCode } = request.params;
      const closed = await deps.db.transaction((tx) =>
        closeEntryByCode(tx, messengerId, identificationCode, 'withdrawn', deps.clock.now()),
      );
      if (!closed) throw new IdbridgeError('NOT_FOUND', 'no open registration with this code');
      return reply.code(204).send();
    },
  );
}
