import type { Queryable } from '../../db/port.js';

export interface WaitingLegacyUser {
  userId: string;
  msisdn: string;
  /** The operator that already answered NOT_SERVED, if any. */
  notServedBy: string | null;
}

/**
 * The next waiting users after `afterUserId`, locked for planning. Users an
 * operator answered NOT_SERVED wait for a routing refresh (I5) and are only
 * taken with `includeRerouted`. `lastScanned` is where the next call goes on
 * (past users skipped because they meanwhile left state `legacy`).
 *
 * The waiting rows are picked in a CTE on legacy_users alone, walking its
 * primary key from the cursor, before the join. The caller's transaction
 * joins by key lookups (joinByKeyLookups), so each picked user's row is then
 * found through users' primary key, not by hashing the whole table.
 */
export async function lockWaitingLegacyUsers(
  tx: Queryable,
  afterUserId: string,
  limit: number,
  includeRerouted: boolean,
): Promise<{ users: WaitingLegacyUser[]; lastScanned: string | null }> {
  const { rows } = await tx.query<{
    user_id: string;
    msisdn: string | null;
    not_served_by: string | null;
  }>(
    `WITH w AS MATERIALIZED (
       SELECT lu.user_id, lu.not_served_by FROM legacy_users lu
       WHERE lu.status = 'waiting' AND lu.user_id > $1
         AND (lu.not_served_by IS NULL OR $3)
       ORDER BY lu.user_id LIMIT $2
       FOR UPDATE
     )
     SELECT w.user_id, u.msisdn, w.not_served_by
     FROM w LEFT JOIN users u ON u.user_id = w.user_id AND u.state = 'legacy'`,
    [afterUserId, limit, includeRerouted],
  );
  const users: WaitingLegacyUser[] = [];
  // Lower-case hex compares as uuid order does; no ORDER BY (a sort) needed.
  let lastScanned: string | null = null;
  for (const r of rows) {
    if (lastScanned === null || r.user_id > lastScanned) lastScanned = r.user_id;
    if (r.msisdn !== null) {
      users.push({ userId: r.user_id, msisdn: r.msisdn, notServedBy: r.not_served_by });
    }
  }
  return { users, lastScanned };
}

/**
 * Batches still being filled: planned, never sent, not full. Planning only
 * ever appends to these, so a batch's items are fixed before its first send.
 */
export async function lockOpenBatches(
  tx: Queryable,
  batchSize: number,
): Promise<Array<{ batchId: string; operatorId: string; itemCount: number }>> {
  const { rows } = await tx.query<{ batch_id: string; operator_id: string; item_count: number }>(
    `SELECT batch_id, operator_id, item_count FROM legacy_batches
     WHERE state = 'planned' AND send_count = 0 AND item_count < $1
     ORDER BY planned_at, batch_id FOR UPDATE`,
    [batchSize],
  );
  return rows.map((r) => ({
    batchId: r.batch_id,
    operatorId: r.operator_id,
    itemCount: r.item_count,
  }));
}

export async function upsertPlannedBatches(
  tx: Queryable,
  batches: Array<{ batchId: string; operatorId: string; itemCount: number }>,
  now: Date,
): Promise<void> {
  if (batches.length === 0) return;
  await tx.query(
    `INSERT INTO legacy_batches (batch_id, operator_id, state, item_count, planned_at)
     SELECT b.batch_id, b.operator_id, 'planned', b.item_count, $4
     FROM unnest($1::uuid[], $2::text[], $3::int[]) AS b(batch_id, operator_id, item_count)
     ON CONFLICT (batch_id) DO UPDATE SET item_count = EXCLUDED.item_count`,
    [
      batches.map((b) => b.batchId),
      batches.map((b) => b.operatorId),
      batches.map((b) => b.itemCount),
      now,
    ],
  );
}

/** Puts users into their batches with the requestId and code chosen for them. */
export async function assignPlannedItems(
  tx: Queryable,
  items: {
    userIds: string[];
    operatorIds: string[];
    batchIds: string[];
    requestIds: string[];
    codes: string[];
  },
): Promise<void> {
  if (items.userIds.length === 0) return;
  await tx.query(
    `UPDATE legacy_users lu
     SET status = 'planned', operator_id = p.operator_id, batch_id = p.batch_id,
         request_id = p.request_id, code = p.code
     FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[])
       AS p(user_id, operator_id, batch_id, request_id, code)
     WHERE lu.user_id = p.user_id`,
    [items.userIds, items.operatorIds, items.batchIds, items.requestIds, items.codes],
  );
}

/** Final outcomes reached without a request: unroutable, or not served after a re-route. */
export async function settleUnplanned(
  tx: Queryable,
  settled: { userIds: string[]; statuses: string[]; failures: string[] },
  now: Date,
): Promise<void> {
  if (settled.userIds.length === 0) return;
  await tx.query(
    `UPDATE legacy_users lu SET status = s.status, route_failure = s.failure, decided_at = $4
     FROM unnest($1::uuid[], $2::text[], $3::text[]) AS s(user_id, status, failure)
     WHERE lu.user_id = s.user_id`,
    [settled.userIds, settled.statuses, settled.failures, now],
  );
}

/** Whether any waiting user awaits a second route after NOT_SERVED. */
export async function hasRerouteWaiting(db: Queryable): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM legacy_users WHERE status = 'waiting' AND not_served_by IS NOT NULL LIMIT 1`,
  );
  return rows.length > 0;
}
