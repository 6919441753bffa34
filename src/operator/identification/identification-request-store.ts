import type { WritePart } from '../../db/combined-writes.js';
import type { Queryable } from '../../db/port.js';
import type { IdentificationAnswer, NotConfirmedReason } from '../../protocol/schemas/index.js';

export type RequestState = 'pending' | 'confirmed' | 'not_confirmed';
export type DecidedBy = 'fast' | 'checker' | 'sweeper';

export interface NewIdentificationRequest {
  messengerId: string;
  requestId: string;
  msisdnHash: string;
  code: string;
  previousCode?: string | undefined;
  purpose: 'registration' | 'reidentification' | 'legacy';
  receivedAt: Date;
  answerBy: Date;
}

export type RequestDecision =
  | { state: 'pending' }
  | { state: 'confirmed'; at: Date; decidedBy: DecidedBy; entryId: string }
  | { state: 'not_confirmed'; at: Date; decidedBy: DecidedBy; reason: NotConfirmedReason };

/**
 * Records a request with its decision (or as pending), R10's "every answer
 * and its timing": the INSERT, to combine with the decision's other writes
 * (db/combined-writes.ts).
 */
export function identificationRequestWrite(
  request: NewIdentificationRequest,
  decision: RequestDecision,
): WritePart {
  const decided = decision.state === 'pending' ? null : decision;
  return {
    name: 'request_recorded',
    sql: `INSERT INTO identification_requests
            (messenger_id, request_id, msisdn_hash, code, previous_code, purpose, received_at, answer_by,
             state, reason, answered_at, decided_by, entry_id)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    params: [
      request.messengerId,
      request.requestId,
      request.msisdnHash,
      request.code,
      request.previousCode ?? null,
      request.purpose,
      request.receivedAt,
      request.answerBy,
      decision.state,
      decided?.state === 'not_confirmed' ? decided.reason : null,
      decided?.at ?? null,
      decided?.decidedBy ?? null,
      decided?.state === 'confirmed' ? decided.entryId : null,
    ],
  };
}

/** When a decided request arrived and was due: its answer time and any miss (R3, R10). */
export interface DecidedTiming {
  receivedAt: Date;
  answerBy: Date;
}

/**
 * Decides a pending request. Returns null when it was no longer pending (the
 * checker and the sweeper raced; the first decision stands).
 */
export async function decidePendingRequest(
  tx: Queryable,
  key: { messengerId: string; requestId: string },
  decision: Exclude<RequestDecision, { state: 'pending' }>,
): Promise<DecidedTiming | null> {
  const { rows } = await tx.query<{ received_at: Date; answer_by: Date }>(
    `UPDATE identification_requests
        SET state = $3, reason = $4, answered_at = $5, decided_by = $6, entry_id = $7
      WHERE messenger_id = $1 AND request_id = $2 AND state = 'pending'
      RETURNING received_at, answer_by`,
    [
      key.messengerId,
      key.requestId,
      decision.state,
      decision.state === 'not_confirmed' ? decision.reason : null,
      decision.at,
      decision.decidedBy,
      decision.state === 'confirmed' ? decision.entryId : null,
    ],
  );
  const row = rows[0];
  return row ? { receivedAt: row.received_at, answerBy: row.answer_by } : null;
}

interface RequestRow {
  request_id: string;
  state: RequestState;
  reason: NotConfirmedReason | null;
  answered_at: Date | null;
  answer_by: Date;
  code: string;
}

export interface StoredIdentificationRequest {
  requestId: string;
  code: string;
  answer: IdentificationAnswer;
}

/** A messenger's own request; null for an unknown id or another messenger's (→ 404). */
export async function findIdentificationRequest(
  db: Queryable,
  messengerId: string,
  requestId: string,
): Promise<StoredIdentificationRequest | null> {
  const { rows } = await db.query<RequestRow>(
    `SELECT request_id, state, reason, answered_at, answer_by, code FROM identification_requests
     WHERE messenger_id = $1 AND request_id = $2`,
    [messengerId, requestId],
  );
  const row = rows[0];
  return row ? { requestId: row.request_id, code: row.code, answer: toAnswer(row) } : null;
}

export function toAnswer(row: {
  request_id: string;
  state: RequestState;
  reason: NotConfirmedReason | null;
  answered_at: Date | null;
  answer_by: Date;
}): IdentificationAnswer {
  if (row.state === 'confirmed') {
    return {
      requestId: row.request_id,
      result: 'confirmed',
      confirmedAt: new Date(row.answered_at as Date).toISOString(),
    };
  }
  if (row.state === 'not_confirmed') {
    return {
      requestId: row.request_id,
      result: 'not_confirmed',
      reason: row.reason ?? 'NO_SUBSCRIBER_DATA',
      decidedAt: new Date(row.answered_at as Date).toISOString(),
    };
  }
  return {
    requestId: row.request_id,
    result: 'pending',
    answerBy: new Date(row.answer_by).toISOString(),
  };
}
