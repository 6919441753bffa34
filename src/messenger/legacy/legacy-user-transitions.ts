import { appendAuditEntry } from '../../audit/append-audit-entry.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Queryable } from '../../db/port.js';

/**
 * Called inside the transaction that moved legacy users, once per set (e.g.
 * to enqueue the backend's webhooks set-based); a throw rolls the move back.
 */
export type LegacyUsersChanged = (
  tx: Queryable,
  change: { userIds: string[]; state: 'identified' | 'suspended'; cause: string },
) => Promise<void>;

/**
 * Set-based lifecycle moves of reconciled legacy users (R9), each with its
 * transition row (R12). Only users still in state `legacy` move: one
 * who meanwhile registered afresh, was deleted or suspended keeps the state
 * it has. Run inside the caller's transaction; returns the ids that moved.
 */
export async function identifyLegacyUsers(
  tx: Queryable,
  ids: IdGenerator,
  input: { userIds: string[]; codes: string[]; operatorId: string; now: Date },
): Promise<string[]> {
  if (input.userIds.length === 0) return [];
  const { rows } = await tx.query<{ user_id: string }>(
    `UPDATE users u SET state = 'identified', identification_code = m.code, operator_id = $3,
            identified_at = $4, updated_at = $4
     FROM unnest($1::uuid[], $2::text[]) AS m(user_id, code)
     WHERE u.user_id = m.user_id AND u.state = 'legacy'
     RETURNING u.user_id`,
    [input.userIds, input.codes, input.operatorId, input.now],
  );
  const moved = rows.map((r) => r.user_id);
  await recordTransitions(
    tx,
    ids,
    moved,
    'identified',
    'legacy reconciliation: data match (R9, I1)',
    input.now,
    {
      operatorId: input.operatorId,
    },
  );
  return moved;
}

/**
 * R9: a legacy user whose data do not match is re-identified as a new user:
 * suspended at once, deauthorized at `graceUntil` unless re-identified (R8).
 */
export async function suspendLegacyUsers(
  tx: Queryable,
  ids: IdGenerator,
  input: { userIds: string[]; reasons: string[]; now: Date; graceUntil: Date },
): Promise<string[]> {
  if (input.userIds.length === 0) return [];
  const { rows } = await tx.query<{ user_id: string; reason: string }>(
    `UPDATE users u SET state = 'suspended', suspended_at = $3, grace_until = $4, updated_at = $3
     FROM unnest($1::uuid[], $2::text[]) AS s(user_id, reason)
     WHERE u.user_id = s.user_id AND u.state = 'legacy'
     RETURNING u.user_id, s.reason`,
    [input.userIds, input.reasons, input.now, input.graceUntil],
  );
  if (rows.length === 0) return [];
  await tx.query(
    `INSERT INTO user_transitions (transition_id, user_id, from_state, to_state, cause, at, details)
     SELECT t.id, t.user_id, 'legacy', 'suspended', 'legacy reconciliation: no match (R9)', $4,
            jsonb_build_object('reason', t.reason)
     FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(id, user_id, reason)`,
    [rows.map(() => ids()), rows.map((r) => r.user_id), rows.map((r) => r.reason), input.now],
  );
  await auditLegacyTransitions(tx, {
    to: 'suspended',
    cause: 'legacy reconciliation: no match (R9)',
    at: input.now,
    users: { userId: rows.map((r) => r.user_id), reason: rows.map((r) => r.reason) },
  });
  return rows.map((r) => r.user_id);
}

async function recordTransitions(
  tx: Queryable,
  ids: IdGenerator,
  userIds: string[],
  to: string,
  cause: string,
  at: Date,
  details: Record<string, unknown>,
): Promise<void> {
  if (userIds.length === 0) return;
  await tx.query(
    `INSERT INTO user_transitions (transition_id, user_id, from_state, to_state, cause, at, details)
     SELECT t.id, t.user_id, 'legacy', $3, $4, $5, $6::jsonb
     FROM unnest($1::uuid[], $2::uuid[]) AS t(id, user_id)`,
    [userIds.map(() => ids()), userIds, to, cause, at, JSON.stringify(details)],
  );
  await auditLegacyTransitions(tx, {
    to,
    cause,
    at,
    details,
    users: { userId: userIds },
  });
}

/**
 * One audit entry per set of legacy users moved together (a batch
 * answer may move 10,000): the set's transitions are audited without one
 * chain append per user. No number in it (R11). The users are parallel
 * columns (user n at position n of each), not one object per user.
 */
async function auditLegacyTransitions(
  tx: Queryable,
  set: {
    to: string;
    cause: string;
    at: Date;
    details?: Record<string, unknown>;
    users: { userId: string[]; reason?: string[] };
  },
): Promise<void> {
  await appendAuditEntry(tx, {
    kind: 'user.transitions',
    subject: `legacy:${set.to}`,
    at: set.at,
    data: { from: 'legacy', ...set },
  });
}
