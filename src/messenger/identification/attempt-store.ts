import type { Queryable } from '../../db/port.js';

export type AttemptState = 'sending' | 'pending' | 'answered' | 'missed';

export interface Attempt {
  requestId: string;
  userId: string;
  operatorId: string;
  code: string;
  previousCode: string | null;
  purpose: 'registration' | 'reidentification';
  possessionVerifiedAt: Date;
  state: AttemptState;
  result: 'confirmed' | 'not_confirmed' | null;
  reason: string | null;
  firstSentAt: Date;
  deadlineAt: Date;
  tries: number;
  reroutedTo: string | null;
}

interface AttemptRow {
  request_id: string;
  user_id: string;
  operator_id: string;
  code: string;
  previous_code: string | null;
  purpose: 'registration' | 'reidentification';
  possession_verified_at: Date;
  state: AttemptState;
  result: 'confirmed' | 'not_confirmed' | null;
  reason: string | null;
  first_sent_at: Date;
  deadline_at: Date;
  tries: number;
  rerouted_to: string | null;
}

const COLUMNS =
  'request_id, user_id, operator_id, code, previous_code, purpose, possession_verified_at, state, result, reason, first_sent_at, deadline_at, tries, rerouted_to';

const toAttempt = (r: AttemptRow): Attempt => ({
  requestId: r.request_id,
  userId: r.user_id,
  operatorId: r.operator_id,
  code: r.code,
  previousCode: r.previous_code,
  purpose: r.purpose,
  possessionVerifiedAt: r.possession_verified_at,
  state: r.state,
  result: r.result,
  reason: r.reason,
  firstSentAt: r.first_sent_at,
  deadlineAt: r.deadline_at,
  tries: r.tries,
  reroutedTo: r.rerouted_to,
});

export async function insertAttempt(
  tx: Queryable,
  a: Omit<Attempt, 'state' | 'result' | 'reason' | 'tries' | 'reroutedTo'>,
): Promise<void> {
  await tx.query(
    `INSERT INTO identification_attempts
       (request_id, user_id, operator_id, code, previous_code, purpose, possession_verified_at,
        state, first_sent_at, deadline_at, next_try_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', $8, $9, $8)`,
    [
      a.requestId,
      a.userId,
      a.operatorId,
      a.code,
      a.previousCode,
      a.purpose,
      a.possessionVerifiedAt,
      a.firstSentAt,
      a.deadlineAt,
    ],
  );
}

export async function findAttempt(
  db: Queryable,
  requestId: string,
  options: { lock?: boolean } = {},
): Promise<Attempt | null> {
  const { rows } = await db.query<AttemptRow>(
    `SELECT ${COLUMNS} FROM identification_attempts WHERE request_id = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [requestId],
  );
  return rows[0] ? toAttempt(rows[0]) : null;
}

export async function listAttemptsOfUser(db: Queryable, userId: string): Promise<Attempt[]> {
  const { rows } = await db.query<AttemptRow>(
    `SELECT ${COLUMNS} FROM identification_attempts WHERE user_id = $1 ORDER BY first_sent_at, request_id`,
    [userId],
  );
  return rows.map(toAttempt);
}

/** Attempts whose transport failed and whose retry time has come. */
export async function listAttemptsDueForRetry(
  db: Queryable,
  now: Date,
  limit: number,
): Promise<string[]> {
  const { rows } = await db.query<{ request_id: string }>(
    `SELECT request_id FROM identification_attempts
     WHERE state = 'sending' AND next_try_at <= $1 AND deadline_at > $1
     ORDER BY next_try_at LIMIT $2`,
    [now, limit],
  );
  return rows.map((r) => r.request_id);
}

/**
 * Claims an attempt for one send: bumps `next_try_at` past the send's own
 * timeout so another instance's retry loop leaves it alone meanwhile.
 * Returns false when it is no longer sendable or someone else holds it.
 */
export async function claimAttemptForSend(
  db: Queryable,
  requestId: string,
  now: Date,
  holdUntil: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE identification_attempts SET tries = tries + 1, next_try_at = $3
     WHERE request_id = $1 AND state = 'sending' AND next_try_at <= $2`,
    [requestId, now, holdUntil],
  );
  return rowCount > 0;
}

export async function recordSendFailure(
  db: Queryable,
  requestId: string,
  nextTryAt: Date,
  error: string,
): Promise<void> {
  await db.query(
    `UPDATE identification_attempts SET next_try_at = $2, last_error = $3
     WHERE request_id = $1 AND state = 'sending'`,
    [requestId, nextTryAt, error.slice(0, 500)],
  );
}

export async function markAttempt(
  tx: Queryable,
  requestId: string,
  change: {
    state: AttemptState;
    result?: 'confirmed' | 'not_confirmed';
    reason?: string | null;
    answeredAt?: Date;
    evidence?: unknown;
    reroutedTo?: string;
  },
): Promise<void> {
  await tx.query(
    `UPDATE identification_attempts
        SET state = $2, result = COALESCE($3, result), reason = COALESCE($4, reason),
            answered_at = COALESCE($5, answered_at), evidence = COALESCE($6::jsonb, evidence),
            rerouted_to = COALESCE($7, rerouted_to), next_try_at = NULL
      WHERE request_id = $1`,
    [
      requestId,
      change.state,
      change.result ?? null,
      change.reason ?? null,
      change.answeredAt ?? null,
      change.evidence === undefined ? null : JSON.stringify(change.evidence),
      change.reroutedTo ?? null,
    ],
  );
}

/** Open attempts past their 20-minute deadline (R3, R4: no answer = not confirmed). */
export async function listOverdueAttempts(
  db: Queryable,
  now: Date,
  limit: number,
): Promise<string[]> {
  const { rows } = await db.query<{ request_id: string }>(
    `SELECT request_id FROM identification_attempts
     WHERE state IN ('sending', 'pending') AND deadline_at <= $1 ORDER BY deadline_at LIMIT $2`,
    [now, limit],
  );
  return rows.map((r) => r.request_id);
}
