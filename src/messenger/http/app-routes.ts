import { Type } from '@sinclair/typebox';
import { IdbridgeError } from '../../core/errors.js';
import type { Database } from '../../db/port.js';
import type { HttpApp } from '../../http/create-http-app.js';
import { NoContent, Uuid } from '../../protocol/schemas/index.js';
import { normalizeMsisdn } from '../../routing/index.js';
import type { AccountService } from '../accounts/account-service.js';
import type { PermissionCheck } from '../permission/permission-check.js';
import { listDevOutbox } from '../sms/index.js';
import { maySend } from '../users/user-states.js';
import type { User } from '../users/user-store.js';
import { AppErrorBody } from './app-error-codes.js';

const Closed = { additionalProperties: false } as const;
const Phone = Type.String({
  minLength: 1,
  maxLength: 40,
  description: 'as the person typed it: +7 916 123-45-67, 8 (916) 1234567…',
});
const SmsCode = Type.String({ minLength: 4, maxLength: 10 });
const UserParams = Type.Object({ userId: Uuid }, Closed);
const errors = {
  400: AppErrorBody,
  401: AppErrorBody,
  403: AppErrorBody,
  404: AppErrorBody,
  409: AppErrorBody,
  413: AppErrorBody,
  415: AppErrorBody,
  429: AppErrorBody,
  500: AppErrorBody,
  503: AppErrorBody,
};

const UserView = Type.Object(
  {
    userId: Type.String(),
    msisdn: Type.String(),
    state: Type.String(),
    maySend: Type.Boolean(),
    operatorId: Type.Union([Type.String(), Type.Null()]),
    identifiedAt: Type.Union([Type.String(), Type.Null()]),
    suspendedAt: Type.Union([Type.String(), Type.Null()]),
    graceUntil: Type.Union([Type.String(), Type.Null()]),
  },
  Closed,
);

function view(user: User) {
  return {
    userId: user.userId,
    msisdn: user.msisdn,
    state: user.state,
    maySend: maySend(user.state),
    operatorId: user.operatorId,
    identifiedAt: user.identifiedAt?.toISOString() ?? null,
    suspendedAt: user.suspendedAt?.toISOString() ?? null,
    graceUntil: user.graceUntil?.toISOString() ?? null,
  };
}

const ChallengeView = Type.Object(
  { challengeId: Type.String(), expiresAt: Type.String(), resendAvailableAt: Type.String() },
  Closed,
);

/**
 * The app-facing API, for the messenger's own backend (bearer credential).
 * Documented in docs/messenger-app-api.md and at /docs.
 */
export function registerMessengerAppRoutes(
  app: HttpApp,
  deps: {
    db: Database;
    accounts: AccountService;
    permission: PermissionCheck;
    devOutboxReadable: boolean;
    callerId: string;
  },
): void {
  const { accounts } = deps;

  app.post(
    '/app/v1/registrations',
    {
      schema: {
        operationId: 'startRegistration',
        summary: 'Send an SMS code to a number (R2)',
        body: Type.Object({ phone: Phone }, Closed),
        response: { 202: ChallengeView, ...errors },
      },
    },
    async (request, reply) => {
      const { phone } = request.body;
      const issued = await accounts.startRegistration(phone, deps.callerId);
      return reply.code(202).send({
        challengeId: issued.challengeId,
        expiresAt: issued.expiresAt.toISOString(),
        resendAvailableAt: issued.resendAvailableAt.toISOString(),
      });
    },
  );

  app.post(
    '/app/v1/registrations/confirm',
    {
      schema: {
        operationId: 'confirmRegistration',
        summary:
          'Confirm the SMS code: sign in, regain, or register and identify with the operator',
        body: Type.Object(
          {
            phone: Phone,
            code: SmsCode,
            challengeId: Type.Optional(Uuid),
            userId: Type.Optional(Uuid),
          },
          Closed,
        ),
        response: {
          200: Type.Object({ outcome: Type.String(), user: UserView }, Closed),
          ...errors,
        },
      },
    },
    async (request) => {
      const body = request.body;
      const { user, outcome } = await accounts.confirmRegistration(body);
      return { outcome, user: view(user) };
    },
  );

  app.get(
    '/app/v1/users/:userId',
    {
      schema: {
        operationId: 'getUser',
        summary: 'Read a user',
        params: UserParams,
        response: { 200: UserView, ...errors },
      },
    },
    async (request) => {
      const { userId } = request.params;
      return view(await accounts.requireUser(userId));
    },
  );

  app.get(
    '/app/v1/users/:userId/permission',
    {
      schema: {
        operationId: 'getUserPermission',
        summary:
          'May this user send messages? (hot path; cached at most messenger.permissionCacheMs)',
        params: UserParams,
        response: {
          200: Type.Object(
            { userId: Type.String(), maySend: Type.Boolean(), state: Type.String() },
            Closed,
          ),
          ...errors,
        },
      },
    },
    async (request) => {
      const { userId } = request.params;
      const answer = await deps.permission.check(userId);
      // I4: a deleted account is gone for the API, as on every other route.
      if (answer.state === 'deleted')
        throw new IdbridgeError('NOT_FOUND', `no user ${userId}`, { causeCode: 'USER_NOT_FOUND' });
      return answer;
    },
  );

  app.post(
    '/app/v1/users/:userId/reverification',
    {
      schema: {
        operationId: 'startReverification',
        summary: 'Send a code to prove possession again (same or new number)',
        params: UserParams,
        body: Type.Object({ phone: Type.Optional(Phone) }, Closed),
        response: { 202: ChallengeView, ...errors },
      },
    },
    async (request, reply) => {
      const { userId } = request.params;
      const { phone } = request.body;
      const issued = await accounts.startReverification(userId, phone, deps.callerId);
      return reply.code(202).send({
        challengeId: issued.challengeId,
        expiresAt: issued.expiresAt.toISOString(),
        resendAvailableAt: issued.resendAvailableAt.toISOString(),
      });
    },
  );

  app.post(
    '/app/v1/users/:userId/reverification/confirm',
    {
      schema: {
        operationId: 'confirmReverification',
        summary: 'Confirm the code and re-identify (purpose: reidentification, with previousCode)',
        params: UserParams,
        body: Type.Object(
          { code: SmsCode, phone: Type.Optional(Phone), challengeId: Type.Optional(Uuid) },
          Closed,
        ),
        response: { 200: UserView, ...errors },
      },
    },
    async (request) => {
      const { userId } = request.params;
      return view(await accounts.confirmReverification(userId, request.body));
    },
  );

  app.delete(
    '/app/v1/users/:userId',
    {
      schema: {
        operationId: 'deleteUser',
        summary: 'Delete a user; the code is withdrawn at the operator (I4)',
        params: UserParams,
        response: { 204: NoContent, ...errors },
      },
    },
    async (request, reply) => {
      const { userId } = request.params;
      await accounts.deleteUser(userId);
      return reply.code(204).send();
    },
  );

  if (deps.devOutboxReadable) {
    app.get(
      '/app/v1/dev/sms-outbox',
      {
        schema: {
          operationId: 'listDevSmsOutbox',
          summary: 'Sandbox only: the SMS messages the development sender "sent"',
          querystring: Type.Object(
            {
              phone: Type.Optional(Phone),
              limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
            },
            Closed,
          ),
          response: {
            200: Type.Object(
              {
                messages: Type.Array(
                  Type.Object(
                    {
                      id: Type.String(),
                      to: Type.String(),
                      text: Type.String(),
                      reference: Type.String(),
                      createdAt: Type.String(),
                    },
                    Closed,
                  ),
                ),
              },
              Closed,
            ),
            ...errors,
          },
        },
      },
      async (request) => {
        const { phone, limit } = request.query;
        const messages = await listDevOutbox(deps.db, {
          ...(phone ? { to: normalizeMsisdn(phone) } : {}),
          limit: limit ? Number(limit) : 50,
        });
        return { messages: messages.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })) };
      },
    );
  }
}
