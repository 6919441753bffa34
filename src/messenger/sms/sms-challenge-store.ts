import type { Queryable } from '../../db/port.js';

/**
 * SQL for `sms_challenges`: one row per code sent (R2). Only keyed hashes of
 * the number and the code are stored (R11).
 */

export type ChallengeStatus = 'pending' | 'consumed' | 'locked' | 'superseded' | 'send_failed';

export interface ChallengeRow {
  id: string;
  purpose: string;
  callerId: string;
  codeHash: string;
  status: ChallengeStatus;
  attempts: number;
  maxAttempts: number;
  createdAt: Date;
  expiresAt: Date;
}

interface RawChallengeRow {
  id: string;
  purpose: string;
  caller_id: string;
  code_hash: string;
  status: ChallengeStatus;
  attempts: number;
  max_attempts: number;
  created_at: Date | string;
  expires_at: Date | string;
}

const COLUMNS =
  'id, purpose, caller_id, code_hash, status, attempts, max_attempts, created_at, expires_at';

function toChallenge(row: RawChallengeRow): ChallengeRow {
  return {
    id: row.id,
    purpose: row.purpose,
    callerId: row.caller_id,
    codeHash: row.code_hash,
    status: row.status,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
  };
}

/**
 * Marks the number's pending challenge for this purpose superseded. Returns
 * whether it was still live (not expired): then the new code is a resend,
 * otherwise a new registration.
 */
export async function supersedePendingChallenge(
  tx: Queryable,
  msisdnHash: string,
  purpose: string,
  now: Date,
): Promise<{ hadLiveChallenge: boolean }> {
  const { rows } = await tx.query<{ expires_at: Date | string }>(
    `UPDATE sms_challenges SET status = 'superseded', resolved_at = $3
     WHERE msisdn_hash = $1 AND purpose = $2 AND status = 'pending'
     RETURNING expires_at`,
    [msisdnHash, purpose, now],
  );
  return {
    hadLiveChallenge: rows.some((r) => new Date(r.expires_at).getTime() > now.getTime()),
  };
}

export async function insertChallenge(
  tx: Queryable,
  row: {
    id: string;
    msisdnHash: string;
    purpose: string;
    callerId: string;
    codeHash: string;
    maxAttempts: number;
    createdAt: Date;
    expiresAt: Date;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO sms_challenges
       (id, msisdn_hash, purpose, caller_id, code_hash, max_attempts, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      row.id,
      row.msisdnHash,
      row.purpose,
      row.callerId,
      row.codeHash,
      row.maxAttempts,
      row.createdAt,
      row.expiresAt,
    ],
  );
}

/**
 * Locks and returns the challenge a verification is about: the given one, or
 * the number's latest for this purpose. The row lock (FOR UPDATE) makes
 * concurrent verifications of one challenge take turns, each seeing the
 * attempts and status the previous one left.
 */
export async function lockChallengeForVerification(
  tx: Queryable,
  msisdnHash: string,
  purpose: string,
  challengeId: string | undefined,
): Promise<ChallengeRow | undefined> {
  const { rows } = await tx.query<RawChallengeRow>(
    challengeId === undefined
      ? `SELECT ${COLUMNS} FROM sms_challenges
         WHERE msisdn_hash = $1 AND purpose = $2 AND status <> 'send_failed'
         ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE`
      : `SELECT ${COLUMNS} FROM sms_challenges
         WHERE msisdn_hash = $1 AND purpose = $2 AND id = $3 FOR UPDATE`,
    challengeId === undefined ? [msisdnHash, purpose] : [msisdnHash, purpose, challengeId],
  );
  return rows[0] ? toChallenge(rows[0]) : undefined;
}

/** Records one attempt and the status it leads to. */
export async function recordAttempt(
  tx: Queryable,
  id: string,
  status: ChallengeStatus,
  now: Date,
): Promise<void> {
  await tx.query(
    `UPDATE sms_challenges
     SET attempts = attempts + 1, status = $2,
         resolved_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $3::timestamptz END
     WHERE id = $1`,
    [id, status, now],
  );
}

export async function markChallengeSent(db: Queryable, id: string, messageId: string) {
  await db.query('UPDATE sms_challenges SET message_id = $2 WHERE id = $1', [id, messageId]);
}

export async function markChallengeSendFailed(db: Queryable, id: string, now: Date) {
  await db.query(
    `UPDATE sms_challenges SET status = 'send_failed', resolved_at = $2
     WHERE id = $1 AND status = 'pending'`,
    [id, now],
  );
}

/** R11: forgets challenges that expired before `olderThan`. */
export async function purgeChallenges(db: Queryable, olderThan: Date): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM sms_challenges WHERE expires_at < $1', [
    olderThan,
  ]);
  return rowCount;
}
