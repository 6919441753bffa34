import { appendAuditEntry } from '../../audit/append-audit-entry.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Queryable } from '../../db/port.js';
import { assertTransition, type UserState } from './user-states.js';

export interface User {
  userId: string;
  msisdn: string;
  state: UserState;
  identificationCode: string | null;
  operatorId: string | null;
  identifiedAt: Date | null;
  suspendedAt: Date | null;
  graceUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

interface UserRow {
  user_id: string;
  msisdn: string;
  state: UserState;
  identification_code: string | null;
  operator_id: string | null;
  identified_at: Date | null;
  suspended_at: Date | null;
  grace_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'user_id, msisdn, state, identification_code, operator_id, identified_at, suspended_at, grace_until, created_at, updated_at';

function toUser(r: UserRow): User {
  return {
    userId: r.user_id,
    msisdn: r.msisdn,
    state: r.state,
    identificationCode: r.identification_code,
    operatorId: r.operator_id,
    identifiedAt: r.identified_at,
    suspendedAt: r.suspended_at,
    graceUntil: r.grace_until,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function findUser(
  db: Queryable,
  userId: string,
  options: { lock?: boolean } = {},
): Promise<User | null> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${COLUMNS} FROM users WHERE user_id = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [userId],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** The live (not suspended, deauthorized or deleted) account of a number. */
export async function findLiveUserByNumber(
  db: Queryable,
  msisdn: string,
  options: { lock?: boolean } = {},
): Promise<User | null> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${COLUMNS} FROM users WHERE msisdn = $1 AND state NOT IN ('suspended', 'deauthorized', 'deleted')${options.lock ? ' FOR UPDATE' : ''}`,
    [msisdn],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

export async function findUserByCode(
  db: Queryable,
  code: string,
  options: { lock?: boolean } = {},
): Promise<User | null> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${COLUMNS} FROM users WHERE identification_code = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [code],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/**
 * The users holding any of these codes, in code order: with `lock`, rows are
 * locked in that order, so two transactions locking overlapping sets never
 * deadlock each other.
 */
export async function findUsersByCodes(
  db: Queryable,
  codes: readonly string[],
  options: { lock?: boolean } = {},
): Promise<User[]> {
  if (codes.length === 0) return [];
  const { rows } = await db.query<UserRow>(
    `SELECT ${COLUMNS} FROM users WHERE identification_code = ANY($1::text[])
      ORDER BY identification_code${options.lock ? ' FOR UPDATE' : ''}`,
    [codes],
  );
  return rows.map(toUser);
}

/**
 * Suspends many users at once (notices, R7/R8), each with its transition row;
 * the caller audits the set. Every move is checked against the lifecycle
 * first, so an invalid one fails the whole transaction. Returns the users as
 * they are now.
 *
 * The moves' users must be as they are in the database, read and locked in
 * this transaction (handleNotifications locks them first): the result is
 * built from them and the values written, instead of reading 1,000 rows back
 * per request (parsing them was a tenth of the messenger's CPU in bench
 * notice-fanout). A user that is not there fails the whole transaction.
 */
export async function suspendUsers(
  tx: Queryable,
  ids: IdGenerator,
  moves: ReadonlyArray<{ user: User; cause: string; details?: Record<string, unknown> }>,
  change: { at: Date; graceUntil: Date },
): Promise<User[]> {
  if (moves.length === 0) return [];
  for (const m of moves) assertTransition(m.user.state, 'suspended');
  const { rowCount } = await tx.query(
    `UPDATE users SET state = 'suspended', suspended_at = $2, grace_until = $3, updated_at = $2
      WHERE user_id = ANY($1::uuid[])`,
    [moves.map((m) => m.user.userId), change.at, change.graceUntil],
  );
  const distinct = new Set(moves.map((m) => m.user.userId)).size;
  if (rowCount !== distinct) {
    throw new Error(`suspendUsers: ${distinct - rowCount} of the users to suspend are missing`);
  }
  await tx.query(
    `INSERT INTO user_transitions (transition_id, user_id, from_state, to_state, cause, at, details)
     SELECT t.id, t.user_id, t.from_state, 'suspended', t.cause, $6, t.details
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[])
         AS t(id, user_id, from_state, cause, details)`,
    [
      moves.map(() => ids()),
      moves.map((m) => m.user.userId),
      moves.map((m) => m.user.state),
      moves.map((m) => m.cause),
      moves.map((m) => (m.details ? JSON.stringify(m.details) : null)),
      change.at,
    ],
  );
  return moves.map((m) => ({
    ...m.user,
    state: 'suspended',
    suspendedAt: change.at,
    graceUntil: change.graceUntil,
    updatedAt: change.at,
  }));
}

/** The hot path: one primary-key read of one column. */
export async function readUserState(db: Queryable, userId: string): Promise<UserState | null> {
  const { rows } = await db.query<{ state: UserState }>(
    'SELECT state FROM users WHERE user_id = $1',
    [userId],
  );
  return rows[0]?.state ?? null;
}

export async function insertUser(
  tx: Queryable,
  ids: IdGenerator,
  input: { msisdn: string; state: UserState; cause: string; at: Date },
): Promise<User> {
  const userId = ids();
  const { rows } = await tx.query<UserRow>(
    `INSERT INTO users (user_id, msisdn, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
     RETURNING ${COLUMNS}`,
    [userId, input.msisdn, input.state, input.at],
  );
  await recordTransition(tx, ids, {
    userId,
    from: null,
    to: input.state,
    cause: input.cause,
    at: input.at,
  });
  return toUser(rows[0] as UserRow);
}

export interface UserPatch {
  msisdn?: string;
  identificationCode?: string | null;
  operatorId?: string | null;
  identifiedAt?: Date | null;
  suspendedAt?: Date | null;
  graceUntil?: Date | null;
}

/**
 * Moves a user to another state, checking the lifecycle, and records the
 * transition with time and cause. The caller holds the row lock (read with
 * `lock: true` in the same transaction).
 */
export async function transitionUser(
  tx: Queryable,
  ids: IdGenerator,
  user: User,
  to: UserState,
  change: { cause: string; at: Date; patch?: UserPatch; details?: Record<string, unknown> },
): Promise<User> {
  if (user.state !== to) assertTransition(user.state, to);
  const patch = change.patch ?? {};
  const sets: string[] = ['state = $2', 'updated_at = $3'];
  const values: unknown[] = [user.userId, to, change.at];
  const columns: Record<keyof UserPatch, string> = {
    msisdn: 'msisdn',
    identificationCode: 'identification_code',
    operatorId: 'operator_id',
    identifiedAt: 'identified_at',
    suspendedAt: 'suspended_at',
    graceUntil: 'grace_until',
  };
  for (const [key, column] of Object.entries(columns) as Array<[keyof UserPatch, string]>) {
    if (key in patch) {
      values.push(patch[key]);
      sets.push(`${column} = $${values.length}`);
    }
  }
  const { rows } = await tx.query<UserRow>(
    `UPDATE users SET ${sets.join(', ')} WHERE user_id = $1 RETURNING ${COLUMNS}`,
    values,
  );
  if (user.state !== to) {
    await recordTransition(tx, ids, {
      userId: user.userId,
      from: user.state,
      to,
      cause: change.cause,
      at: change.at,
      details: change.details,
    });
  }
  return toUser(rows[0] as UserRow);
}

async function recordTransition(
  tx: Queryable,
  ids: IdGenerator,
  t: {
    userId: string;
    from: UserState | null;
    to: UserState;
    cause: string;
    at: Date;
    details?: Record<string, unknown> | undefined;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO user_transitions (transition_id, user_id, from_state, to_state, cause, at, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [ids(), t.userId, t.from, t.to, t.cause, t.at, t.details ? JSON.stringify(t.details) : null],
  );
  // Every user transition in the audit log (no number in it, R11).
  await appendAuditEntry(tx, {
    kind: 'user.transition',
    subject: `user:${t.userId}`,
    at: t.at,
    data: { userId: t.userId, from: t.from, to: t.to, cause: t.cause, details: t.details },
  });
}

export async function listTransitions(
  db: Queryable,
  userId: string,
): Promise<Array<{ from: UserState | null; to: UserState; cause: string; at: Date }>> {
  const { rows } = await db.query<{
    from_state: UserState | null;
    to_state: UserState;
    cause: string;
    at: Date;
  }>(
    'SELECT from_state, to_state, cause, at FROM user_transitions WHERE user_id = $1 ORDER BY at, transition_id',
    [userId],
  );
  return rows.map((r) => ({ from: r.from_state, to: r.to_state, cause: r.cause, at: r.at }));
}
