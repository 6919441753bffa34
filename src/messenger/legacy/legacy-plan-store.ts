import { IdbridgeError } from '../../core/errors.js';
import type { Queryable } from '../../db/port.js';

export interface WaitingLegacyUser {
  userId: string;
  msisdn: string;
  /** The operator that already answered NOT_SERVED, if any. */
  notServedBy: string | null;
}

/**
 * Makes `runId` the one reconcile run allowed to plan; a run planning under
 * another id stops at its next planning transaction (see assertPlanner).
 */
export async function takePlanner(db: Queryable, runId: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO legacy_planner (only_row, run_id, taken_at) VALUES (true, $1, $2)
     ON CONFLICT (only_row) DO UPDATE SET run_id = EXCLUDED.run_id, taken_at = EXCLUDED.taken_at`,
    [runId, now],
  );
}

/**
 * First statement of every planning transaction: locks the planner row, so
 * a run taking over waits for the chunk in progress, and throws CONFLICT
 * when another run has taken planning over since this one started.
 */
export async function assertPlanner(tx: Queryable, runId: string): Promise<void> {
  const { rows } = await tx.query<{ run_id: string }>(
    'SELECT run_id FROM legacy_planner FOR UPDATE',
  );
  if (rows[0]?.run_id !== runId) {
    throw new IdbridgeError(
      'CONFLICT',
      'another reconcile of this messenger started and took over planning; this one stops (run one reconcile at a time)',
    );
  }
}

/**
 * The next waiting users after `afterUserId`, in user_id order. Users an
 * operator answered NOT_SERVED wait for a routing refresh (I5) and are only
 * taken with `includeRerouted`. `lastScanned` is where the next call goes on
 * (past users skipped because they meanwhile left state `legacy`).
 *
 * Nothing is locked or written here: a planned user stays `waiting` until
 * its batch is applied, and the planner does not meet it again because its
 * cursor has passed it (and a run finishes every unapplied batch before it
 * plans, see reconcileLegacyUsers).
 *
 * The waiting rows are picked in a CTE on legacy_users alone, walking its
 * primary key from the cursor, before the join. The caller's transaction
 * joins by key lookups (joinByKeyLookups), so each picked user's row is then
 * found through users' primary key, not by hashing the whole table.
 */
export async function readWaitingLegacyUsers(
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

/**
 * Adds planned items to their batches: a new batch id inserts the batch row,
 * an open one gets the items appended to its arrays. `batchIds[i]` is the
 * batch of item i; items keep their order within each batch, which is the
 * order of the batch's request body.
 */
export async function appendPlannedItems(
  tx: Queryable,
  items: {
    batchIds: string[];
    operatorIds: string[];
    userIds: string[];
    requestIds: string[];
    codes: string[];
  },
  now: Date,
): Promise<void> {
  if (items.userIds.length === 0) return;
  await tx.query(
    `INSERT INTO legacy_batches
       (batch_id, operator_id, state, item_count, planned_at, user_ids, request_ids, codes)
     SELECT p.batch_id, min(p.operator_id), 'planned', count(*), $6,
            array_agg(p.user_id ORDER BY p.ord), array_agg(p.request_id ORDER BY p.ord),
            array_agg(p.code ORDER BY p.ord)
     FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[]) WITH ORDINALITY
       AS p(batch_id, operator_id, user_id, request_id, code, ord)
     GROUP BY p.batch_id
     ON CONFLICT (batch_id) DO UPDATE SET
       item_count = legacy_batches.item_count + EXCLUDED.item_count,
       user_ids = legacy_batches.user_ids || EXCLUDED.user_ids,
       request_ids = legacy_batches.request_ids || EXCLUDED.request_ids,
       codes = legacy_batches.codes || EXCLUDED.codes`,
    [items.batchIds, items.operatorIds, items.userIds, items.requestIds, items.codes, now],
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
