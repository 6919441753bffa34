import type { Queryable } from '../db/port.js';

/** Read-only views of the messenger's users and identification attempts. */

export async function usersByState(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ state: string; n: string }>(
    'SELECT state, count(*) AS n FROM users GROUP BY state ORDER BY state',
  );
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

export interface ConsoleUser {
  userId: string;
  /** E.164 in clear: the caller masks it before it reaches a page. */
  msisdn: string;
  state: string;
  operatorId: string | null;
  identificationCode: string | null;
  identifiedAt: Date | null;
  suspendedAt: Date | null;
  updatedAt: Date;
}

interface UserRow {
  user_id: string;
  msisdn: string;
  state: string;
  operator_id: string | null;
  identification_code: string | null;
  identified_at: Date | null;
  suspended_at: Date | null;
  updated_at: Date;
}

const USER_COLUMNS = `user_id::text AS user_id, msisdn, state, operator_id, identification_code,
  identified_at, suspended_at, updated_at`;

function toConsoleUser(r: UserRow): ConsoleUser {
  return {
    userId: r.user_id,
    msisdn: r.msisdn,
    state: r.state,
    operatorId: r.operator_id,
    identificationCode: r.identification_code,
    identifiedAt: r.identified_at,
    suspendedAt: r.suspended_at,
    updatedAt: r.updated_at,
  };
}

/** The most recently changed users first. */
export async function recentUsers(db: Queryable, limit: number): Promise<ConsoleUser[]> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users ORDER BY updated_at DESC, user_id LIMIT $1`,
    [limit],
  );
  return rows.map(toConsoleUser);
}

export async function findConsoleUser(db: Queryable, userId: string): Promise<ConsoleUser | null> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users WHERE user_id = $1::uuid`,
    [userId],
  );
  return rows[0] ? toConsoleUser(rows[0]) : null;
}

/** Users by number or identification code (current or any attempt's code). */
export async function searchUsers(
  db: Queryable,
  input: { msisdn?: string; code?: string },
): Promise<ConsoleUser[]> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users u
      WHERE ($1::text IS NOT NULL AND u.msisdn = $1)
         OR ($2::text IS NOT NULL AND (u.identification_code = $2 OR EXISTS (
               SELECT 1 FROM identification_attempts a WHERE a.user_id = u.user_id AND a.code = $2)))
      ORDER BY updated_at DESC LIMIT 50`,
    [input.msisdn ?? null, input.code ?? null],
  );
  return rows.map(toConsoleUser);
}

export interface MissedAttempt {
  requestId: string;
  operatorId: string;
  code: string;
  firstSentAt: Date;
  deadlineAt: Date;
}

/** R3: attempts the messenger recorded as missed (no answer within 20 minutes). */
export async function missedAttempts(db: Queryable, limit: number): Promise<MissedAttempt[]> {
  const { rows } = await db.query<{
    request_id: string;
    operator_id: string;
    code: string;
    first_sent_at: Date;
    deadline_at: Date;
  }>(
    `SELECT request_id::text AS request_id, operator_id, code, first_sent_at, deadline_at
       FROM identification_attempts WHERE state = 'missed'
      ORDER BY first_sent_at DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    requestId: r.request_id,
    operatorId: r.operator_id,
    code: r.code,
    firstSentAt: r.first_sent_at,
    deadlineAt: r.deadline_at,
  }));
}
