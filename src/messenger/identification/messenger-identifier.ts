import type { Clock } from '../../core/clock.js';
import { answerDueBy } from '../../core/deadlines.js';
import { IdbridgeError, isIdbridgeError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Database, Queryable } from '../../db/port.js';
import type { DirectoryIndex } from '../../node/directory.js';
import type { PartnerClient, PartnerResponse } from '../../protocol/http/partner-client.js';
import {
  IDENTIFY_ANSWERS,
  type IdentificationAnswer,
  type IdentificationRequest,
} from '../../protocol/schemas/index.js';
import type { RoutingService } from '../../routing/index.js';
import type { MessengerMetrics } from '../messenger-metrics.js';
import { findUser, transitionUser, type User } from '../users/user-store.js';
import {
  type Attempt,
  claimAttemptForSend,
  findAttempt,
  insertAttempt,
  listAttemptsDueForRetry,
  listOverdueAttempts,
  markAttempt,
  recordSendFailure,
} from './attempt-store.js';
import type { CodeGenerator } from './identification-code.js';
import { classifySendError, createSendTroubleLog, isRetryableStatus } from './send-trouble.js';

const RETRY_BACKOFF_MS = [2_000, 10_000, 30_000, 60_000, 120_000];

export interface UserChange {
  user: User;
  cause: string;
}

export interface IdentifierDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  newCode: CodeGenerator;
  log: Logger;
  client: PartnerClient;
  directory: DirectoryIndex;
  routing: RoutingService;
  /** How long a suspended user may regain the account before deauthorization (R8). */
  graceMs: number;
  /** Inside the transaction of every user change: webhooks go into the outbox here. */
  onUserChanged: (tx: Queryable, change: UserChange) => Promise<void>;
  /** After commit: caches drop the user. */
  afterUserChanged: (userId: string) => void;
  metrics?: MessengerMetrics | undefined;
  /** Where the operators' keys and addresses come from, for what-to-fix lines (`node.directoryFile`). */
  directorySource?: string;
}

export interface StartIdentification {
  purpose: 'registration' | 'reidentification';
  previousCode?: string | undefined;
  possessionVerifiedAt: Date;
  /** Skip this operator when routing (it just said NOT_SERVED). */
  excludeOperator?: string;
  cause: string;
}

/**
 * The messenger's side of identification (R1–R6, I3, I5): routes the number,
 * chooses a fresh code, records the attempt and the user's move to
 * `pending_identification` in one transaction, then sends the signed request
 * and applies the signed answer. An attempt is retried under its requestId
 * (idempotent at the operator) after transport failures; one without an
 * answer by 20 minutes is recorded as missed against the operator and the
 * user is not identified (R4, R10).
 */
export function createMessengerIdentifier(deps: IdentifierDeps) {
  const { db, clock, ids, log } = deps;
  const trouble = createSendTroubleLog(log, deps.directorySource ?? 'the directory');

  /**
   * Creates the attempt inside `tx` (the user row must be locked by the
   * caller) and returns its requestId, or null when the number cannot be
   * routed (the user is then not identified, with the routing reason).
   */
  async function beginAttempt(
    tx: Queryable,
    user: User,
    start: StartIdentification,
  ): Promise<string | null> {
    const now = clock.now();
    const route = deps.routing.lookup(user.msisdn);
    const operatorId = route.found ? route.participantId : undefined;
    if (
      !operatorId ||
      operatorId === start.excludeOperator ||
      deps.directory.get(operatorId)?.role !== 'operator'
    ) {
      const reason = route.found ? 'NOT_SERVED' : route.reason;
      await settleFailure(tx, user, start.purpose, `unroutable: ${reason}`, now);
      return null;
    }
    const requestId = ids();
    await insertAttempt(tx, {
      requestId,
      userId: user.userId,
      operatorId,
      code: deps.newCode(),
      previousCode: start.previousCode ?? null,
      purpose: start.purpose,
      possessionVerifiedAt: start.possessionVerifiedAt,
      firstSentAt: now,
      deadlineAt: answerDueBy(now),
    });
    if (user.state !== 'pending_identification') {
      const changed = await transitionUser(tx, ids, user, 'pending_identification', {
        cause: start.cause,
        at: now,
      });
      await deps.onUserChanged(tx, { user: changed, cause: start.cause });
    }
    return requestId;
  }

  /** Begins in its own transaction and sends at once; returns the user afterwards. */
  async function identify(userId: string, start: StartIdentification): Promise<User> {
    const requestId = await db.transaction(async (tx) => {
      const user = await findUser(tx, userId, { lock: true });
      if (!user)
        throw new IdbridgeError('NOT_FOUND', `no user ${userId}`, { causeCode: 'USER_NOT_FOUND' });
      return beginAttempt(tx, user, start);
    });
    deps.afterUserChanged(userId);
    if (requestId) await send(requestId);
    const user = await findUser(db, userId);
    if (!user)
      throw new IdbridgeError('NOT_FOUND', `no user ${userId}`, { causeCode: 'USER_NOT_FOUND' });
    return user;
  }

  /** One send of an attempt; transport failures schedule a retry. */
  async function send(requestId: string): Promise<void> {
    const now = clock.now();
    if (!(await claimAttemptForSend(db, requestId, now, new Date(now.getTime() + 60_000)))) return;
    const attempt = await findAttempt(db, requestId);
    const user = attempt && (await findUser(db, attempt.userId));
    if (!attempt || !user) return;
    const operator = deps.directory.require(attempt.operatorId);
    const body: IdentificationRequest = {
      requestId,
      msisdn: user.msisdn,
      identificationCode: attempt.code,
      purpose: attempt.purpose,
      possessionVerifiedAt: attempt.possessionVerifiedAt.toISOString(),
      ...(attempt.previousCode ? { previousCode: attempt.previousCode } : {}),
    };
    // claimAttemptForSend counted this try: more than one means a repeat.
    if (attempt.tries > 1) deps.metrics?.identificationRetries.inc({ operator: operator.id });
    const failed = async (cause: string, message: string) => {
      deps.metrics?.identificationRequests.inc({ operator: operator.id, result: 'failed', cause });
      trouble.failed(operator, cause, message, requestId);
      const delay =
        RETRY_BACKOFF_MS[Math.min(attempt.tries, RETRY_BACKOFF_MS.length - 1)] ?? 60_000;
      await recordSendFailure(db, requestId, new Date(clock.now().getTime() + delay), message);
    };
    let res: PartnerResponse<typeof IDENTIFY_ANSWERS>;
    try {
      res = await deps.client.send({
        participantId: operator.id,
        baseUrl: operator.baseUrl,
        method: 'POST',
        path: '/v1/identifications',
        body,
        answers: IDENTIFY_ANSWERS,
      });
    } catch (err) {
      await failed(classifySendError(err), isIdbridgeError(err) ? err.message : String(err));
      return;
    }
    if (res.ok) {
      deps.metrics?.identificationRequests.inc({
        operator: operator.id,
        result: 'answered',
        cause: 'none',
      });
      trouble.delivered(operator.id);
      await applyAnswer(requestId, res.body, res.evidence);
      return;
    }
    // 401, 429 and 5xx say "not now" or "fix the keys", not "no": the user
    // keeps waiting and the request is retried until the deadline.
    if (isRetryableStatus(res.status)) {
      await failed(`http_${res.status}`, `HTTP ${res.status}`);
      return;
    }
    trouble.delivered(operator.id);
    deps.metrics?.identificationRequests.inc({
      operator: operator.id,
      result: 'refused',
      cause: `http_${res.status}`,
    });
    // A protocol refusal (409 code taken, other 4xx) will not change on retry.
    const reason = `HTTP_${res.status}`;
    await db.transaction(async (tx) => {
      const locked = await findAttempt(tx, requestId, { lock: true });
      if (!locked || (locked.state !== 'sending' && locked.state !== 'pending')) return;
      await markAttempt(tx, requestId, {
        state: 'answered',
        result: 'not_confirmed',
        reason,
        answeredAt: clock.now(),
        evidence: { status: res.status, body: res.error },
      });
      const u = await findUser(tx, locked.userId, { lock: true });
      if (u) await settleFailure(tx, u, locked.purpose, `operator refused: ${reason}`, clock.now());
    });
    deps.afterUserChanged(attempt.userId);
  }

  /**
   * Applies an operator's answer — from the response or a callback
   * (protocol.md §3). Idempotent: an attempt already answered stays as it is.
   */
  async function applyAnswer(
    requestId: string,
    answer:
      | IdentificationAnswer
      | {
          requestId: string;
          result: 'confirmed' | 'not_confirmed';
          reason?: string;
          decidedAt: string;
        },
    evidence: unknown,
  ): Promise<{ known: boolean }> {
    let reroute: { userId: string; start: StartIdentification } | undefined;
    let answered: { operator: string; seconds: number; late: boolean } | undefined;
    const outcome = await db.transaction(async (tx) => {
      const attempt = await findAttempt(tx, requestId, { lock: true });
      if (!attempt) return { known: false, userId: undefined };
      if (attempt.state === 'answered' || attempt.state === 'missed')
        return { known: true, userId: undefined };
      const now = clock.now();
      if (answer.result === 'pending') {
        await markAttempt(tx, requestId, { state: 'pending', evidence });
        return { known: true, userId: undefined };
      }
      answered = {
        operator: attempt.operatorId,
        seconds: (now.getTime() - attempt.firstSentAt.getTime()) / 1000,
        late: now > attempt.deadlineAt,
      };
      const user = await findUser(tx, attempt.userId, { lock: true });
      if (!user) return { known: true, userId: undefined };
      if (answer.result === 'confirmed') {
        await markAttempt(tx, requestId, {
          state: 'answered',
          result: 'confirmed',
          answeredAt: now,
          evidence,
        });
        if (user.state !== 'pending_identification') return { known: true, userId: undefined };
        const changed = await transitionUser(tx, ids, user, 'identified', {
          cause: `confirmed by ${attempt.operatorId}`,
          at: now,
          patch: {
            identificationCode: attempt.code,
            operatorId: attempt.operatorId,
            identifiedAt: now,
            suspendedAt: null,
            graceUntil: null,
          },
          details: { requestId },
        });
        await deps.onUserChanged(tx, { user: changed, cause: 'confirmed' });
        return { known: true, userId: user.userId };
      }
      const reason = answer.reason ?? 'NO_SUBSCRIBER_DATA';
      await markAttempt(tx, requestId, {
        state: 'answered',
        result: 'not_confirmed',
        reason,
        answeredAt: now,
        evidence,
      });
      if (user.state !== 'pending_identification') return { known: true, userId: undefined };
      if (reason === 'NOT_SERVED' && !attempt.reroutedTo) {
        // Our routing data is stale: refresh it, then try once more (I5).
        reroute = {
          userId: user.userId,
          start: {
            purpose: attempt.purpose,
            previousCode: attempt.previousCode ?? undefined,
            possessionVerifiedAt: attempt.possessionVerifiedAt,
            excludeOperator: attempt.operatorId,
            cause: `rerouted after NOT_SERVED from ${attempt.operatorId}`,
          },
        };
        return { known: true, userId: undefined };
      }
      await settleFailure(
        tx,
        user,
        attempt.purpose,
        `not confirmed by ${attempt.operatorId}: ${reason}`,
        now,
      );
      return { known: true, userId: user.userId };
    });
    if (outcome.userId) deps.afterUserChanged(outcome.userId);
    if (answered && deps.metrics) {
      const labels = { operator: answered.operator };
      deps.metrics.answerSeconds.observe(labels, answered.seconds);
      if (answered.late) deps.metrics.deadlineMisses.inc({ ...labels, kind: 'late' });
    }
    if (reroute) {
      await deps.routing.reload().catch((err) => log.error({ err }, 'routing reload failed'));
      const next = reroute;
      await identifyRerouted(requestId, next.userId, next.start);
    }
    return { known: outcome.known };
  }

  /** The single re-route after NOT_SERVED, linked to the attempt it follows. */
  async function identifyRerouted(
    fromRequestId: string,
    userId: string,
    start: StartIdentification,
  ): Promise<void> {
    const requestId = await db.transaction(async (tx) => {
      const user = await findUser(tx, userId, { lock: true });
      if (user?.state !== 'pending_identification') return null;
      const id = await beginAttempt(tx, user, start);
      if (id) await markAttempt(tx, fromRequestId, { state: 'answered', reroutedTo: id });
      return id;
    });
    deps.afterUserChanged(userId);
    if (requestId) await send(requestId);
  }

  /**
   * A failed identification: a new registration ends `not_identified`; a
   * re-identification (port-out, regaining a suspended account) leaves the
   * user suspended, so the grace period still runs (R8).
   */
  async function settleFailure(
    tx: Queryable,
    user: User,
    purpose: Attempt['purpose'],
    cause: string,
    now: Date,
  ): Promise<void> {
    const to =
      purpose === 'reidentification' && user.identificationCode ? 'suspended' : 'not_identified';
    if (user.state === to) return;
    const patch =
      to === 'suspended'
        ? {
            suspendedAt: user.suspendedAt ?? now,
            graceUntil: user.graceUntil ?? new Date(now.getTime() + deps.graceMs),
          }
        : {};
    const changed = await transitionUser(tx, ids, user, to, { cause, at: now, patch });
    await deps.onUserChanged(tx, { user: changed, cause });
  }

  /** Retries undelivered attempts whose time has come. */
  async function retryDue(limit = 100): Promise<number> {
    const due = await listAttemptsDueForRetry(db, clock.now(), limit);
    for (const requestId of due) await send(requestId);
    return due.length;
  }

  /** Closes attempts past 20 minutes as missed by the operator (R4, R10, R12). */
  async function expireOverdue(limit = 100): Promise<number> {
    const overdue = await listOverdueAttempts(db, clock.now(), limit);
    for (const requestId of overdue) {
      let missedBy: string | undefined;
      const userId = await db.transaction(async (tx) => {
        const attempt = await findAttempt(tx, requestId, { lock: true });
        if (!attempt || (attempt.state !== 'sending' && attempt.state !== 'pending'))
          return undefined;
        const now = clock.now();
        missedBy = attempt.operatorId;
        await markAttempt(tx, requestId, {
          state: 'missed',
          result: 'not_confirmed',
          reason: 'NO_ANSWER_IN_20_MIN',
          answeredAt: now,
        });
        const user = await findUser(tx, attempt.userId, { lock: true });
        if (user?.state !== 'pending_identification') return undefined;
        await settleFailure(
          tx,
          user,
          attempt.purpose,
          `no answer from ${attempt.operatorId} within 20 minutes`,
          now,
        );
        return user.userId;
      });
      if (missedBy) deps.metrics?.deadlineMisses.inc({ operator: missedBy, kind: 'missed' });
      if (userId) deps.afterUserChanged(userId);
    }
    return overdue.length;
  }

  return { beginAttempt, identify, send, applyAnswer, retryDue, expireOverdue };
}

export type MessengerIdentifier = ReturnType<typeof createMessengerIdentifier>;
